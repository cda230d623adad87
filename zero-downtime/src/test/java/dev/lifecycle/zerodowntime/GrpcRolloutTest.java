package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gRPC example service ({@code GrpcExampleService}, lifecycle-grpc) rolled out on the Kubernetes data plane in
 * miniature ({@link DataPlane#KUBE_PROXY}) under grpc-java clients ({@link Client#GRPC}): 32 long-lived channels to
 * the Service address, each one HTTP/2 connection that conntrack keeps on its pod until the pod's {@code GOAWAY} moves
 * it, calling the users API ({@code List}, {@code Create}, {@code Work} up to 2 s) with grpc-java's default retries
 * only. The raw HTTP/1.1 generator is off: the replicas speak gRPC only; readiness is the kubelet's exec probe on the
 * ready-file, as for HTTP.
 */
class GrpcRolloutTest {

    private static final Path EXAMPLES_JAR =
            Path.of(System.getProperty("examples.jar", "../examples/target/examples.jar")).toAbsolutePath();
    private static final Path OUTPUT = Path.of(System.getProperty("harness.output", "target/zero-downtime"))
            .toAbsolutePath();
    private static final Duration LAG = Duration.ofSeconds(1);
    /** Kubernetes' default; shutdown takes some 3 s here, but much longer on a machine busy with other builds. */
    private static final Duration GRACE = Duration.ofSeconds(30);
    private static final int CHANNELS = 32;

    @BeforeAll
    static void prerequisites() {
        assertThat(EXAMPLES_JAR).as("the example service's jar, built by the reactor before this module").exists();
        assertThat(KubeProxy.missingPrerequisite()).as("what the kube-proxy data plane needs (scripts/test installs "
                + "iptables and conntrack)").isNull();
    }

    @Test
    void rollingUpdateOfGrpcReplicasLosesNoCall() throws Exception {
        RolloutReport report = harness("grpc-rolling", "2s", "5s", 3, LAG).build().run();
        System.out.println(report.summaryTable());

        assertThat(report.violations()).isEmpty();
        RolloutReport.ClientSummary grpc = report.clients().get(0);
        assertThat(grpc.client()).isEqualTo("grpc-java");
        assertThat(grpc.failures()).as("failed calls").isZero();
        assertThat(grpc.requests()).as("every scheduled call recorded").isEqualTo(grpc.scheduled()).isPositive();
        assertThat(grpc.reconnects().get(GrpcLoad.RECONNECTED)).as("channels moved by GOAWAY").isPositive();
        List<RolloutReport.ReplicaSummary> terminated =
                report.replicas().stream().filter(RolloutReport.ReplicaSummary::terminated).toList();
        assertThat(terminated).hasSize(3).allSatisfy(replica -> {
            assertThat(replica.exitCode()).as("%s exit status", replica.id()).isEqualTo(143);
            assertThat(replica.servedInLagWindow()).as("%s served calls in its lag window", replica.id())
                    .isPositive();
        });
    }

    @Test
    void negativeControlEndpointLagLongerThanThePreStopDelayShowsFailedCalls() throws Exception {
        // No pre-stop delay, and the endpoint goes 5 s after SIGTERM: GOAWAY goes out while the endpoint is still
        // there. Each channel it moves goes through the DNAT again, and half of them reach the terminating pod, which
        // no longer listens: the calls on such a channel fail with UNAVAILABLE (grpc-java does not retry a connection
        // that failed). The lag is longer than the lifecycle needs to react to SIGTERM on a busy machine (seen: 1.4 s
        // with a 1 s lag, when GOAWAY came after the endpoint had gone and nothing failed).
        RolloutReport report = harness("grpc-lag-negative", "0s", "0s", 2, Duration.ofSeconds(5))
                .scenario(Scenario.SCALE_DOWN)
                .build().run();
        System.out.println(report.summaryTable());

        assertThat(report.failures()).as("failed calls when GOAWAY comes before the endpoint is gone; none means the "
                + "harness cannot see a gRPC client fail").isPositive();
        assertThat(report.outcomes().get(Outcome.CONNECT_REFUSED)).as("channels moved onto the terminating pod")
                .isPositive();
        assertThat(report.violations()).anySatisfy(v -> assertThat(v).startsWith("grpc-java: "));
    }

    private static RolloutHarnessBuilder harness(String name, String preStopDelay, String drainTimeout, int replicas,
                                                 Duration lag) throws Exception {
        Path directory = OUTPUT.resolve(name);
        if (Files.exists(directory)) {
            try (var files = Files.walk(directory)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx128m", "-Xss512k", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-Xshare:auto",
                "-cp", EXAMPLES_JAR.toString(), "dev.lifecycle.examples.GrpcExampleService"));
        return RolloutHarness.builder()
                .name(name + " (gRPC, " + DataPlane.KUBE_PROXY + ", LIFECYCLE_PRESTOP_DELAY=" + preStopDelay + ", lag "
                        + lag + ")")
                .dataPlane(DataPlane.KUBE_PROXY)
                .command(command)
                .readyFileVariable("LIFECYCLE_READY_FILE")
                .instanceHeader("x-instance")
                .environment("BIND_ADDRESS", "0.0.0.0")
                .environment("DATA_DIR", "data")
                .environment("DATABASE_URL", null)
                .environment("LIFECYCLE_PRESTOP_DELAY", preStopDelay)
                .environment("LIFECYCLE_DRAIN_TIMEOUT", drainTimeout)
                .environment("LIFECYCLE_TERMINATION_GRACE_PERIOD", GRACE.toSeconds() + "s")
                .revisions(List.of(Map.of(), Map.of()))
                .replicas(replicas)
                .rawGenerator(false)
                .clients(Client.GRPC)
                .rate(60)
                .connections(CHANNELS)
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
