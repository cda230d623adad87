package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RolloutHarnessBuilderTest {

    @Test
    void badSettingsFailFastNamingSettingValueAndExpectation() {
        RolloutHarnessBuilder builder = RolloutHarness.builder();

        assertThatThrownBy(() -> builder.command(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("command: [] (expected: a program and its arguments)");
        assertThatThrownBy(() -> builder.revisions(List.of(Map.of()))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("revisions: 1 (expected: >= 2, the first deployment and at least one rollout)");
        assertThatThrownBy(() -> builder.readinessPath("health")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("readinessPath: health (expected: an absolute path without white space)");
        assertThatThrownBy(() -> builder.replicas(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("replicas: 0 (expected: >= 1)");
        assertThatThrownBy(() -> builder.endpointLag(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("endpointLag: PT-1S (expected: >= 0)");
        assertThatThrownBy(() -> builder.terminationGracePeriod(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("terminationGracePeriod: PT0S (expected: > 0)");
        assertThatThrownBy(() -> builder.listenPattern(Pattern.compile("Listening on \\d+")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("listenPattern: Listening on \\d+ (expected: a capturing group for the port)");
        assertThatThrownBy(() -> builder.portVariable("MY-PORT")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("portVariable: MY-PORT (expected: an environment variable name)");
        assertThatThrownBy(() -> builder.requests(List.of("fetch everything")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("request: fetch everything (expected: \"METHOD /path [body]\")");
        assertThatThrownBy(() -> builder.environment(null, "x")).isInstanceOf(NullPointerException.class)
                .hasMessage("name cannot be null");
    }

    @Test
    void buildRequiresACommandAndAReadyFileForTheKubeletsProbe() {
        assertThatThrownBy(() -> RolloutHarness.builder().build()).isInstanceOf(IllegalStateException.class)
                .hasMessage("command not set: call command(List) before build()");
        assertThatThrownBy(() -> RolloutHarness.builder().command(List.of("java")).dataPlane(DataPlane.KUBE_PROXY)
                .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("readyFileVariable not set: the data plane KUBE_PROXY probes readiness with the "
                        + "ready-file, as an exec probe would");
        assertThatThrownBy(() -> RolloutHarness.builder().bursts(0, Duration.ofSeconds(1), 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("burstSize: 0 (expected: 1..10000)");
        assertThatThrownBy(() -> RolloutHarness.builder().readinessProbe(Duration.ZERO, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("probePeriod: PT0S (expected: > 0)");
    }

    @Test
    void anEndpointLagLongerThanTwoCheckIntervalsIsAllowedSinceChecksStopInRotation() {
        // Regression (flaky arithmetic): the lag used to be bounded by 2 x the HAProxy check interval.
        assertThat(RolloutHarness.builder().command(List.of("java")).endpointLag(Duration.ofSeconds(5))
                .checkInterval(Duration.ofSeconds(1)).build()).isNotNull();
    }

    @Test
    void commandLineOptionsMapToTheBuilderAndTheCommandFollowsTheSeparator() {
        RolloutHarnessBuilder builder = RolloutHarness.parse(new String[] {
                "--replicas", "2", "--rollouts", "3", "--readiness-path", "/ready", "--rate", "80",
                "--env", "A=b=c", "--request", "GET /items", "--lag", "0.5", "--grace", "20",
                "--", "java", "-jar", "app.jar"});

        assertThat(builder.command).containsExactly("java", "-jar", "app.jar");
        assertThat(builder.replicas).isEqualTo(2);
        assertThat(builder.revisions).hasSize(4);
        assertThat(builder.readinessPath).isEqualTo("/ready");
        assertThat(builder.rate).isEqualTo(80);
        assertThat(builder.environment).containsExactly(Map.entry("A", "b=c"));
        assertThat(builder.requests).containsExactly("GET /items");
        assertThat(builder.endpointLag).isEqualTo(Duration.ofMillis(500));
        assertThat(builder.terminationGracePeriod).isEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void commandLineChoosesTheDataPlaneTheScenarioAndTheClients() {
        RolloutHarnessBuilder builder = RolloutHarness.parse(new String[] {
                "--data-plane", "kube-proxy", "--scenario", "node-drain", "--client", "jdk", "--client", "hey",
                "--", "java", "-jar", "app.jar"});

        assertThat(builder.dataPlane).isEqualTo(DataPlane.KUBE_PROXY);
        assertThat(builder.scenario).isEqualTo(Scenario.NODE_DRAIN);
        assertThat(builder.clients).containsExactly(Client.JDK, Client.HEY);
        assertThatThrownBy(() -> RolloutHarness.parse(new String[] {"--data-plane", "k8s", "--", "x"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("data-plane: k8s (expected: one of [haproxy, kube-proxy, nginx])");
    }

    @Test
    void commandLineWithoutACommandIsAUsageError() {
        assertThatThrownBy(() -> RolloutHarness.parse(new String[] {"--rate", "10"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("missing: -- <command starting one replica>");
        assertThatThrownBy(() -> RolloutHarness.parse(new String[] {"--speed", "10", "--", "x"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("unknown option: --speed");
    }

    @Test
    void grpcClientsNeedTheKubeProxyDataPlaneAndALoadWithoutTheRawGenerator() {
        RolloutHarnessBuilder builder = RolloutHarness.builder().command(List.of("java", "-jar", "app.jar"))
                .readyFileVariable("LIFECYCLE_READY_FILE");

        assertThatThrownBy(() -> builder.rawGenerator(false).build()).isInstanceOf(IllegalStateException.class)
                .hasMessage("rawGenerator: false with no client (expected: at least one client, the whole load)");
        assertThatThrownBy(() -> builder.clients(Client.GRPC).build()).isInstanceOf(IllegalStateException.class)
                .hasMessage("clients: [GRPC] (expected: the data plane KUBE_PROXY for GRPC, not HAPROXY: HAProxy's "
                        + "check and nginx speak HTTP/1.1)");
        assertThat(builder.dataPlane(DataPlane.KUBE_PROXY).build()).isNotNull();
        assertThatThrownBy(() -> builder.http2ClientJava(java.nio.file.Path.of("/no/such/java")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("http2ClientJava: /no/such/java (expected: an executable java)");
    }

    @Test
    void commandLineTurnsTheRawGeneratorOffForGrpc() {
        RolloutHarnessBuilder builder = RolloutHarness.parse(new String[] {"--data-plane", "kube-proxy",
                "--client", "grpc", "--raw-generator", "off", "--", "java", "-jar", "app.jar"});

        assertThat(builder.rawGenerator).isFalse();
        assertThat(builder.clients).containsExactly(Client.GRPC);
        assertThatThrownBy(() -> RolloutHarness.parse(new String[] {"--raw-generator", "no", "--", "x"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("raw-generator: no (expected: on or off)");
    }

    @Test
    void toleratingIdleCloseRacesNeedsABoundInRangeAndThePreStopDelay() {
        RolloutHarnessBuilder builder = RolloutHarness.builder().command(List.of("java", "-jar", "app.jar"));

        assertThatThrownBy(() -> builder.tolerateIdleCloseRaces(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tolerateIdleCloseRaces: -1 (expected: 0..100)");
        assertThatThrownBy(() -> builder.preStopDelay(Duration.ofSeconds(-2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("preStopDelay: PT-2S (expected: >= 0)");
        assertThatThrownBy(() -> builder.tolerateIdleCloseRaces(1).build()).isInstanceOf(IllegalStateException.class)
                .hasMessage("tolerateIdleCloseRaces: 1 without a pre-stop delay (expected: preStopDelay(Duration), "
                        + "which places each replica's drain begin)");
        assertThat(builder.preStopDelay(Duration.ofSeconds(2)).build()).isNotNull();

        RolloutHarnessBuilder parsed = RolloutHarness.parse(new String[] {"--pre-stop-delay", "2",
                "--tolerate-idle-close-races", "1", "--", "java", "-jar", "app.jar"});
        assertThat(parsed.preStopDelay).isEqualTo(Duration.ofSeconds(2));
        assertThat(parsed.idleCloseRacesTolerated).isEqualTo(1);
    }
}
