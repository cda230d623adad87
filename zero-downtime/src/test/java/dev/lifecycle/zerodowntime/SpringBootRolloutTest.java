package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The users service of {@code examples/spring-boot} (Spring Boot 4.0 on Tomcat, through
 * {@code lifecycle-spring-boot-starter}) rolled out on the Kubernetes data plane in miniature
 * ({@link DataPlane#KUBE_PROXY}: pods as network namespaces, the Service as kube-proxy's iptables rules, the
 * kubelet's exec probe on the ready-file the starter writes from {@code LIFECYCLE_READY_FILE}). The same API as the
 * example service's, so the same request mix; each pod keeps its own H2 database in its volume.
 *
 * <p>The default run holds one rolling update of three replicas with the raw generator and the JDK's and Apache's
 * pooled clients; {@code -Dzerodowntime.full=true} adds {@code hey} and long requests in flight at every SIGTERM.
 */
class SpringBootRolloutTest {

    private static final Path BOOT_JAR = Path.of(System.getProperty("examples.spring-boot.jar",
            "../examples/spring-boot/target/examples-spring-boot.jar")).toAbsolutePath();
    private static final Path OUTPUT = Path.of(System.getProperty("harness.output", "target/zero-downtime"))
            .toAbsolutePath();
    /**
     * Two seconds, not the one of the other rollouts: every fifth request holds a pooled connection for 2.5 s, so a
     * replica's few connections can all be busy through a 1 s window; one CI run saw a replica get no request sent in
     * its lag window (the report's "endpoint lag was not exercised"), though none was lost.
     */
    private static final Duration LAG = Duration.ofSeconds(2);
    /** Kubernetes' default; a Boot replica stops in seconds, but much later on a machine busy with other builds. */
    private static final Duration GRACE = Duration.ofSeconds(30);
    /**
     * Reads, creations, and slow requests so that some are in flight at every SIGTERM; the long one keeps a drain
     * going for seconds after the pre-stop delay, while pooled connections that sat idle across it are reused.
     */
    private static final List<String> MIX = List.of("GET /users?limit=5",
            "POST /users {\"name\":\"b\",\"email\":\"b@example.test\"}", "GET /work?ms=300", "GET /users?limit=1",
            "GET /work?ms=2500");

    @BeforeAll
    static void prerequisites() {
        assertThat(BOOT_JAR).as("the Spring Boot example's jar, built by the reactor before this module").exists();
        assertThat(KubeProxy.missingPrerequisite()).as("what the kube-proxy data plane needs (scripts/test installs "
                + "iptables, conntrack, nginx and hey)").isNull();
    }

    @Test
    void rollingUpdateOfSpringBootReplicasLosesNoRequestOfPooledClients() throws Exception {
        RolloutReport report = harness("boot-rolling")
                .clients(Client.JDK, Client.APACHE)
                // HTTP/1.1 cannot close an idle connection without a race, and these clients do not retry a POST
                .tolerateIdleCloseRaces(1)
                .build().run();
        System.out.println(report.summaryTable());

        assertThat(report.clients()).extracting(RolloutReport.ClientSummary::client)
                .containsExactly("raw", "jdk-httpclient", "apache-httpclient5");
        assertThat(report.violations()).isEmpty();
        RolloutChecks.assertListed(report);
        RolloutChecks.assertCleanTerminations(report, 3);
    }

    @Test
    @EnabledIfSystemProperty(named = "zerodowntime.full", matches = "true")
    void rollingUpdateOfSpringBootReplicasWithLongRequestsLosesNoRequestOfAnyClient() throws Exception {
        RolloutReport report = harness("boot-rolling-full")
                // one long request in four, at a rate the generator's 48 connections carry (a mix of half long ones
                // at 60/s queued requests for tens of seconds: an overload, not a drain)
                .requests(List.of("GET /work?ms=3500", "GET /users?limit=5", "POST /users {\"name\":\"f\"}",
                        "GET /users?limit=1"))
                .rate(30)
                .revisions(List.of(Map.of(), Map.of(), Map.of()))
                .clients(Client.JDK, Client.APACHE, Client.HEY)
                .tolerateIdleCloseRaces(1)
                .build().run();
        System.out.println(report.summaryTable());

        assertThat(report.violations()).isEmpty();
        RolloutChecks.assertListed(report);
        List<RolloutReport.ReplicaSummary> terminated = RolloutChecks.assertCleanTerminations(report, 6);
        assertThat(terminated).allSatisfy(r -> assertThat(r.inFlightAtSigterm())
                .as("long requests %s still served after its SIGTERM", r.id()).isPositive());
    }

    private static RolloutHarnessBuilder harness(String name) throws Exception {
        Path directory = OUTPUT.resolve(name);
        if (Files.exists(directory)) {
            try (var files = Files.walk(directory)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // Spring Boot needs more heap than the plain example (Tomcat, Actuator, Prometheus, Flyway, H2).
        List<String> command = new ArrayList<>(List.of(java, "-Xmx192m", "-Xss512k", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-Xshare:auto", "-jar", BOOT_JAR.toString()));
        String preStopDelay = "3s"; // longer than the lag, as a pre-stop delay must be
        return RolloutHarness.builder()
                .name(name + " (" + DataPlane.KUBE_PROXY + ", Spring Boot, LIFECYCLE_PRESTOP_DELAY=" + preStopDelay
                        + ", lag " + LAG + ")")
                .dataPlane(DataPlane.KUBE_PROXY)
                .command(command)
                // Spring's relaxed binding: LIFECYCLE_READY_FILE is lifecycle.ready-file, and so on.
                .readyFileVariable("LIFECYCLE_READY_FILE")
                .environment("BIND_ADDRESS", "0.0.0.0")
                // H2 refuses a relative path without ./ in a URL
                .environment("DATA_DIR", "./data")
                .environment("DATABASE_URL", null)
                .environment("LIFECYCLE_PRESTOP_DELAY", preStopDelay)
                .preStopDelay(Duration.ofSeconds(3))
                .environment("LIFECYCLE_DRAIN_QUIET_PERIOD", "500ms")
                .environment("LIFECYCLE_DRAIN_TIMEOUT", "5s")
                .environment("LIFECYCLE_TERMINATION_GRACE_PERIOD", GRACE.toSeconds() + "s")
                .revisions(List.of(Map.of(), Map.of()))
                .requests(MIX)
                .replicas(3)
                .rate(60)
                .connections(48)
                .bursts(24, Duration.ofMillis(3500), 8)
                .endpointLag(LAG)
                .terminationGracePeriod(GRACE)
                .minReady(Duration.ofSeconds(1))
                // a bound for a lost response, not a latency target: a busy machine answers in seconds
                .readTimeout(Duration.ofSeconds(15))
                // a progress deadline, not a speed target: Spring Boot starts slowly on a busy 2-core machine
                .startTimeout(Duration.ofMinutes(3))
                .workDirectory(directory);
    }
}
