package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifecycle.core.internal.ReadyFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The example service on a Kubernetes data plane in miniature ({@link DataPlane#KUBE_PROXY}: pods as network
 * namespaces, the Service as kube-proxy's iptables rules, the kubelet's exec probe on the ready-file), with the raw
 * generator and real pooled clients, and behind nginx as an ingress ({@link DataPlane#NGINX}). Each pod keeps its own
 * H2 database in its volume, so the request mix never reads across replicas.
 *
 * <p>The default run holds the rolling update of Undertow replicas with the raw generator and every pooled client, the
 * negative control of the endpoint lag, and the rolling update of Netty replicas behind nginx with every client. The
 * other scenarios run with {@code -Dzerodowntime.full=true} (see README).
 */
class KubeRolloutTest {

    private static final Path EXAMPLES_JAR =
            Path.of(System.getProperty("examples.jar", "../examples/target/examples.jar")).toAbsolutePath();
    private static final Path OUTPUT = Path.of(System.getProperty("harness.output", "target/zero-downtime"))
            .toAbsolutePath();
    private static final Duration LAG = Duration.ofSeconds(1);
    /** Kubernetes' default; shutdown takes some 3 s here, but much longer on a machine busy with other builds. */
    private static final Duration GRACE = Duration.ofSeconds(30);
    private static final List<String> UNDERTOW = List.of("-jar", EXAMPLES_JAR.toString());
    private static final List<String> NETTY =
            List.of("-cp", EXAMPLES_JAR.toString(), "dev.lifecycle.examples.NettyExampleService");
    /**
     * Reads, creations, and slow requests so that some are in flight at every SIGTERM; the long one keeps a drain
     * going for seconds after the pre-stop delay, while pooled connections that sat idle across it are reused.
     */
    private static final List<String> MIX = List.of("GET /users?limit=5",
            "POST /users {\"name\":\"k\",\"email\":\"k@example.test\"}", "GET /work?ms=300", "GET /users?limit=1",
            "GET /work?ms=2500");
    /** The same without the long request, for the Netty example, whose few blocking threads it would saturate. */
    private static final List<String> SHORT_MIX = MIX.subList(0, MIX.size() - 1);
    /**
     * Behind nginx: as many slow requests, of 300 and 600 ms, as fast ones. nginx reuses its most recently released
     * upstream connection first, so with the few requests in flight of {@link #SHORT_MIX} it keeps sending to the one
     * or two pods those connections are pinned to, and a pod that has none at its SIGTERM gets no request in its lag
     * window (seen: r0-1 had 6 of 60 requests in the second before its SIGTERM, none after). Some 15 requests in
     * flight keep that many upstream connections busy, spread over the pods at random.
     */
    private static final List<String> NGINX_MIX = List.of("GET /users?limit=5",
            "POST /users {\"name\":\"k\",\"email\":\"k@example.test\"}", "GET /work?ms=300", "GET /work?ms=600",
            "GET /work?ms=600", "GET /users?limit=1");
    /**
     * How long the load goes on once the last pod is an endpoint, when nothing else moves connections to it (a node
     * drain's or a restart's replacements): with every raw connection recycled after 5 requests, some 12 new
     * connections a second pick a pod at random, so each replacement gets some within the first second; the rest is
     * room for a slow machine. The run's own length, not a wait for something.
     */
    private static final Duration REPLACEMENTS_SERVE = Duration.ofSeconds(4);

    @BeforeAll
    static void prerequisites() {
        assertThat(EXAMPLES_JAR).as("the example service's jar, built by the reactor before this module").exists();
        assertThat(KubeProxy.missingPrerequisite()).as("what the kube-proxy data plane needs (scripts/test installs "
                + "iptables, conntrack, nginx and hey)").isNull();
    }

    @Test
    @EnabledIfSystemProperty(named = "zerodowntime.full", matches = "true")
    void rollingUpdateOnKubeProxyLosesNoRequest() throws Exception {
        // Opt-in to keep the module within its time budget: the run with every pooled client below has the raw
        // generator too, on the same scenario.
        RolloutReport report = harness("kube-rolling", UNDERTOW, DataPlane.KUBE_PROXY, "2s", LAG)
                .build().run();
        System.out.println(report.summaryTable());

        assertThat(report.violations()).isEmpty();
        RolloutChecks.assertCleanTerminations(report, 3);
    }

    @Test
    void rollingUpdateOnKubeProxyLosesNoRequestOfAnyPooledClient() throws Exception {
        RolloutReport report = harness("kube-rolling-clients", UNDERTOW, DataPlane.KUBE_PROXY, "2s", LAG)
                .clients(Client.JDK, Client.APACHE, Client.HEY)
                // HTTP/1.1 cannot close an idle connection without a race, and these clients do not retry a POST
                .tolerateIdleCloseRaces(1)
                .build().run();
        System.out.println(report.summaryTable());

        assertThat(report.clients()).extracting(RolloutReport.ClientSummary::client)
                .containsExactly("raw", "jdk-httpclient", "apache-httpclient5", "hey");
        assertThat(report.violations()).isEmpty();
        RolloutChecks.assertListed(report);
        RolloutChecks.assertCleanTerminations(report, 3);
    }

    @Test
    void negativeControlEndpointLagLongerThanThePreStopDelayShowsFailedRequests() throws Exception {
        // The endpoint goes 12 s after SIGTERM; the service stops serving 1 s after it, and exits within a few
        // seconds even on a busy machine. One termination (a scale-down) is enough to show it.
        RolloutReport report = harness("kube-lag-negative", UNDERTOW, DataPlane.KUBE_PROXY, "1s",
                Duration.ofSeconds(12))
                .scenario(Scenario.SCALE_DOWN)
                // clients that come and go: kept connections alone would never meet the stale endpoint
                .requestsPerConnection(5)
                .environment("LIFECYCLE_DRAIN_TIMEOUT", "1s")
                .build().run();
        System.out.println(report.summaryTable());

        assertThat(report.failures()).as("failed requests when the endpoint outlives the pre-stop delay; none means "
                + "the data plane does not route to terminating pods").isPositive();
        assertThat(report.outcomes().get(Outcome.CONNECT_REFUSED) + report.outcomes().get(Outcome.HTTP_ERROR))
                .as("new connections still routed to a replica that stopped serving").isPositive();
        RolloutReport.ReplicaSummary terminated = report.replicas().get(0);
        assertThat(terminated.exitedAt()).as("the replica exited before its endpoint was removed")
                .isLessThan(terminated.removedAt());
        assertThat(report.violations()).anySatisfy(v -> assertThat(v).startsWith("raw: "));
    }

    @Test
    void rollingUpdateOfNettyReplicasBehindNginxLosesNoRequestOfAnyClient() throws Exception {
        RolloutReport report = harness("nginx-rolling", NETTY, DataPlane.NGINX, "2s", LAG)
                .requests(NGINX_MIX)
                .clients(Client.JDK, Client.APACHE, Client.HEY)
                .build().run();
        System.out.println(report.summaryTable());

        assertThat(report.violations()).isEmpty();
        assertThat(report.clients()).extracting(RolloutReport.ClientSummary::client)
                .containsExactly("raw", "jdk-httpclient", "apache-httpclient5", "hey");
        RolloutChecks.assertCleanTerminations(report, 3);
        assertThat(OUTPUT.resolve("nginx-rolling").resolve("nginx").resolve("access.log")).isNotEmptyFile();
    }

    @Test
    @EnabledIfSystemProperty(named = "zerodowntime.full", matches = "true")
    void rollingUpdateOfNettyReplicasOnKubeProxyLosesNoRequestOfAnyClient() throws Exception {
        RolloutReport report = harness("kube-netty", NETTY, DataPlane.KUBE_PROXY, "2s", LAG)
                .requests(SHORT_MIX)
                .clients(Client.JDK, Client.APACHE, Client.HEY)
                .tolerateIdleCloseRaces(1)
                .build().run();
        System.out.println(report.summaryTable());

        assertThat(report.violations()).isEmpty();
        RolloutChecks.assertListed(report);
        RolloutChecks.assertCleanTerminations(report, 3);
    }

    @Test
    @EnabledIfSystemProperty(named = "zerodowntime.full", matches = "true")
    void scaleDownLosesNoRequest() throws Exception {
        RolloutReport report = harness("kube-scale-down", UNDERTOW, DataPlane.KUBE_PROXY, "2s", LAG)
                .scenario(Scenario.SCALE_DOWN).clients(Client.JDK, Client.APACHE)
                .tolerateIdleCloseRaces(1)
                .build().run();
        System.out.println(report.summaryTable());

        assertThat(report.violations()).isEmpty();
        RolloutChecks.assertListed(report);
        RolloutChecks.assertCleanTerminations(report, 1);
    }

    @Test
    @EnabledIfSystemProperty(named = "zerodowntime.full", matches = "true")
    void nodeDrainTerminatingTwoPodsAtOnceLosesNoRequest() throws Exception {
        RolloutReport report = harness("kube-node-drain", UNDERTOW, DataPlane.KUBE_PROXY, "2s", LAG)
                .scenario(Scenario.NODE_DRAIN).clients(Client.JDK, Client.APACHE)
                .requestsPerConnection(5)
                .warmupAndCooldown(Duration.ofSeconds(1), REPLACEMENTS_SERVE)
                .tolerateIdleCloseRaces(1)
                .build().run();
        System.out.println(report.summaryTable());

        assertThat(report.violations()).isEmpty();
        RolloutChecks.assertListed(report);
        List<RolloutReport.ReplicaSummary> terminated = RolloutChecks.assertCleanTerminations(report, 2);
        assertThat(terminated.get(1).sigtermAt() - terminated.get(0).sigtermAt()).as("SIGTERMs at once (ms)")
                .isLessThan(LAG.toMillis());
    }

    @Test
    @EnabledIfSystemProperty(named = "zerodowntime.full", matches = "true")
    void containerRestartedAfterSigkillEntersTheEndpointsOnlyOnceItsOwnProcessIsReady() throws Exception {
        // The pod's volume keeps the ready-file of the killed process. The probe is the manifests' (it checks that
        // the file names a running process), run every second from the container's start.
        RolloutReport report = harness("kube-restart", UNDERTOW, DataPlane.KUBE_PROXY, "2s", LAG)
                .scenario(Scenario.CONTAINER_RESTART)
                .requestsPerConnection(5)
                .warmupAndCooldown(Duration.ofSeconds(1), REPLACEMENTS_SERVE)
                .readinessProbeCommand(ReadyFile.probeCommand(Path.of("{readyFile}")))
                .build().run();
        System.out.println(report.summaryTable());

        assertThat(report.violations()).isEmpty();
        RolloutReport.ReplicaSummary crashed = report.replicas().get(0);
        RolloutReport.ReplicaSummary restarted = report.replicas().get(3);
        assertThat(crashed.crashed()).isTrue();
        assertThat(crashed.exitCode()).isEqualTo(137);
        assertThat(restarted.id()).isEqualTo("r0-1.1");
        assertThat(restarted.readyAt()).as("its own ready-file").isGreaterThan(restarted.startedAt());
        assertThat(restarted.requests()).isPositive();
    }

    @Test
    @EnabledIfSystemProperty(named = "zerodowntime.full", matches = "true")
    void longRequestsInFlightAtSigtermCompleteDuringTheDrain() throws Exception {
        // Within what the clients can carry (requests of 1.4 s on average): the raw generator needs some 28 of its 48
        // connections at 20/s, the JDK's client its 8 for a burst of 8 every 5 s. At 40/s with 2 of 3 requests long,
        // both fell behind their schedule until requests were unfinished at the end (seen: p50 12.6 s).
        RolloutReport report = harness("kube-long", UNDERTOW, DataPlane.KUBE_PROXY, "2s", LAG)
                .requests(List.of("GET /work?ms=3000", "GET /work?ms=4000", "GET /users?limit=5", "GET /users?limit=1",
                        "GET /users?limit=5"))
                .rate(20)
                .bursts(8, Duration.ofSeconds(5), 8)
                .clients(Client.JDK)
                .tolerateIdleCloseRaces(1)
                .build().run();
        System.out.println(report.summaryTable());

        assertThat(report.violations()).isEmpty();
        RolloutChecks.assertListed(report);
        List<RolloutReport.ReplicaSummary> terminated = RolloutChecks.assertCleanTerminations(report, 3);
        assertThat(terminated).allSatisfy(r -> assertThat(r.inFlightAtSigterm())
                .as("long requests %s still served after its SIGTERM", r.id()).isPositive());
    }

    private static RolloutHarnessBuilder harness(String name, List<String> mainArguments, DataPlane dataPlane,
                                                 String preStopDelay, Duration lag) throws Exception {
        Path directory = OUTPUT.resolve(name);
        if (Files.exists(directory)) {
            try (var files = Files.walk(directory)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx128m", "-Xss512k", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-Xshare:auto"));
        command.addAll(mainArguments);
        return RolloutHarness.builder()
                .name(name + " (" + dataPlane + ", LIFECYCLE_PRESTOP_DELAY=" + preStopDelay + ", lag " + lag + ")")
                .dataPlane(dataPlane)
                .command(command)
                .readyFileVariable("LIFECYCLE_READY_FILE")
                .environment("BIND_ADDRESS", "0.0.0.0")
                .environment("DATA_DIR", "data")
                .environment("DATABASE_URL", null)
                .environment("LIFECYCLE_PRESTOP_DELAY", preStopDelay)
                // the same, for the report to place each drain begin (idle-close races)
                .preStopDelay(Duration.ofSeconds(Long.parseLong(preStopDelay.replace("s", ""))))
                .environment("LIFECYCLE_DRAIN_QUIET_PERIOD", "500ms")
                .environment("LIFECYCLE_DRAIN_TIMEOUT", "5s")
                .environment("LIFECYCLE_TERMINATION_GRACE_PERIOD", GRACE.toSeconds() + "s")
                .revisions(List.of(Map.of(), Map.of()))
                .requests(MIX)
                .replicas(3)
                .rate(60)
                .connections(48)
                .bursts(24, Duration.ofMillis(3500), 8)
                .endpointLag(lag)
                .terminationGracePeriod(GRACE)
                .minReady(Duration.ofSeconds(1))
                // a bound for a lost response, not a latency target: a busy machine answers in seconds
                .readTimeout(Duration.ofSeconds(15))
                // a progress deadline, not a speed target: replicas start slowly on a busy 2-core machine
                .startTimeout(Duration.ofMinutes(3))
                .workDirectory(directory);
    }
}
