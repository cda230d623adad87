package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifecycle.testing.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The proof: two rollouts of the example service (the second applying a schema migration in-process while the old
 * replicas serve) behind HAProxy, under load, once with the library's protections (the raw generator and every pooled
 * client) and once without (the raw generator, which sees every failure); and, opt-in, one rollout of the example
 * service on Netty (lifecycle-netty) with the protections.
 */
class RolloutHarnessTest {

    private static final Path EXAMPLES_JAR = Path.of(System.getProperty("examples.jar", "../examples/target/examples.jar"));
    private static final Path OUTPUT = Path.of(System.getProperty("harness.output", "target/zero-downtime"));
    private static final Duration LAG = Duration.ofSeconds(1);
    private static final Duration GRACE = Duration.ofSeconds(10);
    /** What follows the JVM options: the Undertow example is the jar's main class, the Netty one is named. */
    private static final List<String> UNDERTOW = List.of("-jar", EXAMPLES_JAR.toString());
    private static final List<String> NETTY =
            List.of("-cp", EXAMPLES_JAR.toString(), "dev.lifecycle.examples.NettyExampleService");

    /**
     * First deployment and first rollout at schema version 1; the second rollout brings version 2, whose first replica
     * migrates in-process while the replicas of version 1 keep serving.
     */
    private static final List<Map<String, String>> TWO_ROLLOUTS_MIGRATING_IN_THE_SECOND =
            List.of(Map.of("DB_SCHEMA_TARGET", "1"), Map.of("DB_SCHEMA_TARGET", "1"), Map.of());

    private static PostgresServer postgres;

    @BeforeAll
    static void startPostgres() {
        assertThat(EXAMPLES_JAR).as("the example service's jar, built by the reactor before this module").exists();
        postgres = PostgresServer.start();
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void rollingUpdatesWithPreStopDelayAndDrainLoseNoRequestOfAnyClient() throws Exception {
        RolloutReport report = harnessBuilder("positive", UNDERTOW, "2s", "5s")
                .revisions(TWO_ROLLOUTS_MIGRATING_IN_THE_SECOND)
                .clients(Client.JDK, Client.APACHE, Client.HEY)
                // HTTP/1.1 cannot close an idle connection without a race, and these clients do not retry a POST
                .tolerateIdleCloseRaces(1)
                .build().run();
        System.out.println(report.summaryTable());

        assertThat(report.clients()).extracting(RolloutReport.ClientSummary::client)
                .containsExactly("raw", "jdk-httpclient", "apache-httpclient5", "hey");
        assertThat(report.violations()).isEmpty();
        RolloutChecks.assertListed(report);
        assertThat(report.failures()).as("failures beyond the tolerated idle-close races")
                .isEqualTo(report.idleCloseRaces().size());
        assertThat(report.completed()).isGreaterThanOrEqualTo((long) Math.ceil(0.98 * report.scheduled()));
        assertThat(report.replicas()).hasSize(9).allSatisfy(replica -> {
            assertThat(replica.requests()).as("requests served by %s", replica.id()).isPositive();
            assertThat(replica.servedBeforeReady()).as("requests %s served before ready", replica.id()).isZero();
        });
        List<RolloutReport.ReplicaSummary> terminated =
                report.replicas().stream().filter(RolloutReport.ReplicaSummary::terminated).toList();
        assertThat(terminated).hasSize(6).allSatisfy(replica -> {
            assertThat(replica.servedInLagWindow()).as("requests %s served between SIGTERM and removal", replica.id())
                    .isPositive();
            assertThat(replica.killed()).as("%s SIGKILLed", replica.id()).isFalse();
            assertThat(replica.exitedAt() - replica.sigtermAt()).as("%s exit after SIGTERM (ms)", replica.id())
                    .isLessThan(GRACE.toMillis());
        });
        assertThat(terminated.stream().mapToLong(RolloutReport.ReplicaSummary::inFlightAtSigterm).sum())
                .as("requests in flight at a SIGTERM").isPositive();
        assertThat(report.requestLog()).exists();
        Path replicaLogs = OUTPUT.resolve("positive").resolve("replicas");
        assertThat(Files.readString(replicaLogs.resolve("r2-7.log")))
                .as("the first replica of the second rollout migrated the shared schema while version 1 served")
                .containsPattern("Schema at version 2 \\(1 migration");
    }

    @Test
    void negativeControlWithoutPreStopDelayAndDrainShowsFailedRequests() throws Exception {
        // One rollout (3 terminations) is enough to show the failures; a second would only cost the module's time.
        RolloutReport report = harnessBuilder("negative", UNDERTOW, "0", "0")
                .revisions(List.of(Map.of(), Map.of()))
                .build().run();
        System.out.println(report.summaryTable());

        assertThat(report.failures())
                .as("failed requests without the protections; none means the harness is broken").isPositive();
        assertThat(report.outcomes().get(Outcome.EOF_NO_RESPONSE) + report.outcomes().get(Outcome.RESET)
                + report.outcomes().get(Outcome.EOF_PARTIAL_RESPONSE))
                .as("requests cut off by a replica that stopped at SIGTERM").isPositive();
        assertThat(report.completed()).as("the service itself works: only the rollout hurts")
                .isGreaterThan((long) (0.9 * report.scheduled()));
        assertThat(report.replicas()).allSatisfy(replica ->
                assertThat(replica.requests()).as("requests served by %s", replica.id()).isPositive());
        assertThat(report.requestLog()).exists();
    }

    @Test
    @EnabledIfSystemProperty(named = "zerodowntime.full", matches = "true")
    void rollingUpdateOfNettyReplicasWithPreStopDelayAndDrainLosesNoRequest() throws Exception {
        // Opt-in to keep the module within its time budget: Netty replicas roll out by default behind nginx on the
        // kube-proxy data plane (KubeRolloutTest).
        // One rollout (every replica replaced once) keeps the module's run time bounded; the schema stays put.
        RolloutReport report = harnessBuilder("netty", NETTY, "2s", "5s")
                .revisions(List.of(Map.of(), Map.of()))
                .build()
                .run();
        System.out.println(report.summaryTable());

        assertThat(report.violations()).isEmpty();
        assertThat(report.failures()).isZero();
        assertThat(report.completed()).isGreaterThanOrEqualTo((long) Math.ceil(0.98 * report.scheduled()));
        assertThat(report.replicas()).hasSize(6).allSatisfy(replica -> {
            assertThat(replica.requests()).as("requests served by %s", replica.id()).isPositive();
            assertThat(replica.servedBeforeReady()).as("requests %s served before ready", replica.id()).isZero();
        });
        List<RolloutReport.ReplicaSummary> terminated =
                report.replicas().stream().filter(RolloutReport.ReplicaSummary::terminated).toList();
        assertThat(terminated).hasSize(3).allSatisfy(replica -> {
            assertThat(replica.servedInLagWindow()).as("requests %s served between SIGTERM and removal", replica.id())
                    .isPositive();
            assertThat(replica.killed()).as("%s SIGKILLed", replica.id()).isFalse();
            assertThat(replica.exitedAt() - replica.sigtermAt()).as("%s exit after SIGTERM (ms)", replica.id())
                    .isLessThan(GRACE.toMillis());
        });
        assertThat(terminated.stream().mapToLong(RolloutReport.ReplicaSummary::inFlightAtSigterm).sum())
                .as("requests in flight at a SIGTERM").isPositive();
        assertThat(Files.readString(OUTPUT.resolve("netty").resolve("replicas").resolve("r1-4.log")))
                .as("the replicas ran the Netty variant").contains("NettyExampleService");
    }


    private static RolloutHarnessBuilder harnessBuilder(String name, List<String> mainArguments, String preStopDelay,
                                                        String drainTimeout) throws Exception {
        assertThat(Path.of(Haproxy.defaultBinary())).as("HAProxy (scripts/test installs it)").isExecutable();
        postgres.createDatabase(name);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx128m", "-Xss512k", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-Xshare:auto"));
        command.addAll(mainArguments);
        return RolloutHarness.builder()
                .name(name + " (LIFECYCLE_PRESTOP_DELAY=" + preStopDelay + ", LIFECYCLE_DRAIN_TIMEOUT="
                        + drainTimeout + ")")
                .command(command)
                .listenPattern(Pattern.compile("Listening on http://127\\.0\\.0\\.1:(\\d+)"))
                .readyFileVariable("LIFECYCLE_READY_FILE")
                .readinessPath("/health/ready")
                .environment("BIND_ADDRESS", "127.0.0.1")
                .environment("DATABASE_URL", postgres.jdbcUrl(name))
                .environment("DATABASE_USER", postgres.user())
                .environment("DATABASE_PASSWORD", postgres.password())
                .environment("LIFECYCLE_PRESTOP_DELAY", preStopDelay)
                // the same, for the report to place each drain begin (idle-close races)
                .preStopDelay(Duration.ofSeconds(Long.parseLong(preStopDelay.replace("s", ""))))
                .environment("LIFECYCLE_DRAIN_QUIET_PERIOD", "500ms")
                .environment("LIFECYCLE_DRAIN_TIMEOUT", drainTimeout)
                .environment("LIFECYCLE_TERMINATION_GRACE_PERIOD", GRACE.toSeconds() + "s")
                .environment("DB_SCHEMA_TARGET", null)
                .replicas(3)
                .rate(150)
                .connections(32)
                .endpointLag(LAG)
                .terminationGracePeriod(GRACE)
                .minReady(Duration.ofSeconds(1))
                .workDirectory(OUTPUT.resolve(name));
    }
}
