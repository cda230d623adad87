package dev.lifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.lifecycle.testing.LogCapture;

class ConfigurationTest {

    @Test
    void defaultsMatchTheDocumentation() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();

        assertThat(lifecycle.preStopDelay()).isZero();
        assertThat(lifecycle.drainTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(lifecycle.longLivedDrainTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(lifecycle.stopTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(lifecycle.terminationGracePeriod()).isEqualTo(Duration.ofSeconds(30));
        assertThat(lifecycle.retryAfterSeconds()).isEqualTo(1);
        assertThat(lifecycle.readyFile()).isEmpty();
        assertThat(lifecycle.tracker().describesRequests()).isTrue();
    }

    @Test
    void environmentVariablesOverrideTheBuilder() {
        Lifecycle lifecycle = Lifecycle.builder()
                .preStopDelay(Duration.ofSeconds(1))
                .drainTimeout(Duration.ofSeconds(1))
                .readyFile(Path.of("/tmp/from-builder"))
                .environment(Map.of("LIFECYCLE_PRESTOP_DELAY", "5s",
                                    "LIFECYCLE_DRAIN_TIMEOUT", "PT25S",
                                    "LIFECYCLE_LONG_LIVED_DRAIN_TIMEOUT", "1500ms",
                                    "LIFECYCLE_STOP_TIMEOUT", " 2 S ",
                                    "LIFECYCLE_TERMINATION_GRACE_PERIOD", "1m",
                                    "LIFECYCLE_READY_FILE", "/tmp/from-env"))
                .build();

        assertThat(lifecycle.preStopDelay()).isEqualTo(Duration.ofSeconds(5));
        assertThat(lifecycle.drainTimeout()).isEqualTo(Duration.ofSeconds(25));
        assertThat(lifecycle.longLivedDrainTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(lifecycle.stopTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(lifecycle.terminationGracePeriod()).isEqualTo(Duration.ofMinutes(1));
        assertThat(lifecycle.readyFile()).contains(Path.of("/tmp/from-env"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0     | PT0S",
            "0s    | PT0S",
            "750ms | PT0.75S",
            "2h    | PT2H",
            "PT1M  | PT1M",
            "pt3s  | PT3S",
            "P1D   | PT24H",
    })
    void durationsAreParsedInShortAndIsoForms(String text, String expected) {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of("LIFECYCLE_DRAIN_TIMEOUT", text)).build();

        assertThat(lifecycle.drainTimeout()).isEqualTo(Duration.parse(expected));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "LIFECYCLE_DRAIN_TIMEOUT            | -5s                    | "
                    + "LIFECYCLE_DRAIN_TIMEOUT: '-5s' (expected: >= 0)",
            "LIFECYCLE_PRESTOP_DELAY            | -PT1S                  | "
                    + "LIFECYCLE_PRESTOP_DELAY: '-PT1S' (expected: >= 0)",
            "LIFECYCLE_STOP_TIMEOUT             | soon                   | "
                    + "LIFECYCLE_STOP_TIMEOUT: 'soon' (expected: a duration such as 0, 500ms, 5s, 2m, 1h or PT5S)",
            "LIFECYCLE_LONG_LIVED_DRAIN_TIMEOUT | 1.5s                   | "
                    + "LIFECYCLE_LONG_LIVED_DRAIN_TIMEOUT: '1.5s' (expected: a duration such as 0, 500ms, 5s, 2m, "
                    + "1h or PT5S)",
            "LIFECYCLE_DRAIN_TIMEOUT            | PT                     | "
                    + "LIFECYCLE_DRAIN_TIMEOUT: 'PT' (expected: a duration such as 0, 500ms, 5s, 2m, 1h or PT5S)",
            "LIFECYCLE_DRAIN_TIMEOUT            | 5                      | "
                    + "LIFECYCLE_DRAIN_TIMEOUT: '5' (expected: a duration such as 0, 500ms, 5s, 2m, 1h or PT5S)",
            "LIFECYCLE_TERMINATION_GRACE_PERIOD | 99999999999999999999s  | "
                    + "LIFECYCLE_TERMINATION_GRACE_PERIOD: '99999999999999999999s' (expected: a duration that fits "
                    + "in a long of nanoseconds)",
            "LIFECYCLE_DRAIN_TIMEOUT            | 3000000h               | "
                    + "LIFECYCLE_DRAIN_TIMEOUT: '3000000h' (expected: a duration that fits in a long of nanoseconds)",
            "LIFECYCLE_DRAIN_TIMEOUT            | PT9999999999999999999S | "
                    + "LIFECYCLE_DRAIN_TIMEOUT: 'PT9999999999999999999S' (expected: a duration that fits in a long "
                    + "of nanoseconds)",
            "LIFECYCLE_STOP_TIMEOUT             | 0                      | "
                    + "LIFECYCLE_STOP_TIMEOUT: '0' (expected: > 0)",
    })
    void badEnvironmentValuesFailTheBuildNamingVariableAndValue(String variable, String value, String message) {
        LifecycleBuilder builder = Lifecycle.builder().environment(Map.of(variable, value));

        assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @Test
    void blankEnvironmentValuesFailTheBuild() {
        assertThatThrownBy(() -> Lifecycle.builder().environment(Map.of("LIFECYCLE_DRAIN_TIMEOUT", " ")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("LIFECYCLE_DRAIN_TIMEOUT: ' ' (expected: a duration such as 0, 500ms, 5s, 2m, 1h or PT5S)");
        assertThatThrownBy(() -> Lifecycle.builder().environment(Map.of("LIFECYCLE_READY_FILE", "")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("LIFECYCLE_READY_FILE: '' (expected: a file path)");
        assertThatThrownBy(() -> Lifecycle.builder().environment(Map.of("LIFECYCLE_READY_FILE", "/tmp/\0ready"))
                                          .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("LIFECYCLE_READY_FILE: '/tmp/\0ready' (expected: a file path)");
    }

    @Test
    void anEmptyEnvironmentTurnsOverridesOff() {
        Lifecycle lifecycle = Lifecycle.builder().drainTimeout(Duration.ofSeconds(3)).environment(Map.of()).build();

        assertThat(lifecycle.drainTimeout()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void settersRejectBadValuesNamingSettingValueAndExpectation() {
        LifecycleBuilder builder = Lifecycle.builder();

        assertThatThrownBy(() -> builder.drainTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("drainTimeout: PT-1S (expected: >= 0)");
        assertThatThrownBy(() -> builder.preStopDelay(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("preStopDelay: PT-0.001S (expected: >= 0)");
        assertThatThrownBy(() -> builder.longLivedDrainTimeout(Duration.ofSeconds(-2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("longLivedDrainTimeout: PT-2S (expected: >= 0)");
        assertThatThrownBy(() -> builder.terminationGracePeriod(Duration.ofSeconds(-30)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("terminationGracePeriod: PT-30S (expected: >= 0)");
        assertThatThrownBy(() -> builder.retryAfter(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("retryAfter: PT-1S (expected: >= 0)");
        assertThatThrownBy(() -> builder.stopTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("stopTimeout: PT0S (expected: > 0)");
        assertThatThrownBy(() -> builder.stopTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("stopTimeout: PT-1S (expected: >= 0)");
        Duration tooLong = Duration.ofSeconds(Long.MAX_VALUE);
        assertThatThrownBy(() -> builder.drainTimeout(tooLong))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("drainTimeout: " + tooLong + " (expected: <= 9223372036854775807 ns)");
    }

    @Test
    void settersRejectNulls() {
        LifecycleBuilder builder = Lifecycle.builder();

        assertThatThrownBy(() -> builder.drainTimeout(null))
                .isInstanceOf(NullPointerException.class).hasMessage("drainTimeout cannot be null");
        assertThatThrownBy(() -> builder.readyFile(null))
                .isInstanceOf(NullPointerException.class).hasMessage("readyFile cannot be null");
        assertThatThrownBy(() -> builder.startupTask(null))
                .isInstanceOf(NullPointerException.class).hasMessage("task cannot be null");
        assertThatThrownBy(() -> builder.livenessCheck("db", null))
                .isInstanceOf(NullPointerException.class).hasMessage("check cannot be null");
        assertThatThrownBy(() -> builder.environment(null))
                .isInstanceOf(NullPointerException.class).hasMessage("environment cannot be null");
    }

    @Test
    void checkNamesMustBeUniqueAndNotBlank() {
        LifecycleBuilder builder = Lifecycle.builder().livenessCheck("db", () -> true)
                                            .readinessCheck("db", () -> true);

        assertThatThrownBy(() -> builder.livenessCheck("db", () -> true))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("livenessCheck: duplicate name 'db'");
        assertThatThrownBy(() -> builder.readinessCheck("db", () -> true))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("readinessCheck: duplicate name 'db'");
        assertThatThrownBy(() -> builder.readinessCheck("", () -> true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("readinessCheck name: '' (expected: not blank)");
    }

    @Test
    void reusingTheBuilderDoesNotChangeABuiltLifecycle() {
        LifecycleBuilder builder = Lifecycle.builder().environment(Map.of()).drainTimeout(Duration.ofSeconds(3));
        Lifecycle first = builder.build();

        builder.drainTimeout(Duration.ofSeconds(9)).startupTask(StartupTask.of("later", () -> { }));
        Lifecycle second = builder.build();

        assertThat(first.drainTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(first.tasks()).isEmpty();
        assertThat(second.drainTimeout()).isEqualTo(Duration.ofSeconds(9));
        assertThat(second.tasks()).hasSize(1);
    }

    @Test
    void retryAfterIsRoundedUpToWholeSeconds() {
        assertThat(retryAfterSeconds(Duration.ofMillis(1))).isEqualTo(1);
        assertThat(retryAfterSeconds(Duration.ofSeconds(2))).isEqualTo(2);
        assertThat(retryAfterSeconds(Duration.ofMillis(2500))).isEqualTo(3);
        assertThat(retryAfterSeconds(Duration.ZERO)).isZero();
    }

    private static long retryAfterSeconds(Duration retryAfter) {
        return Lifecycle.builder().environment(Map.of()).retryAfter(retryAfter).build().retryAfterSeconds();
    }

    // Regression (issue 11, defect 9): LIFECYCLE_PRE_STOP_DELAY=5s was silently ignored, leaving the delay at 0.
    @Test
    void anUnknownLifecycleVariableFailsTheBuildNamingTheClosestSetting() {
        LifecycleBuilder builder = Lifecycle.builder().environment(Map.of("LIFECYCLE_PRE_STOP_DELAY", "5s"));

        assertThatThrownBy(builder::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("LIFECYCLE_PRE_STOP_DELAY: unknown setting (did you mean LIFECYCLE_PRESTOP_DELAY?)");
    }

    @Test
    void everyUnknownLifecycleVariableIsNamedInOneMessage() {
        LifecycleBuilder builder = Lifecycle.builder().environment(Map.of("LIFECYCLE_READYFILE", "/tmp/ready",
                                                                          "LIFECYCLE_DRAIN_TIMEOUT", "5s",
                                                                          "LIFECYCLE_STOP_TIMOUT", "2s"));

        assertThatThrownBy(builder::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("LIFECYCLE_READYFILE: unknown setting (did you mean LIFECYCLE_READY_FILE?); "
                            + "LIFECYCLE_STOP_TIMOUT: unknown setting (did you mean LIFECYCLE_STOP_TIMEOUT?)");
    }

    @Test
    void everyVariableTheBuilderReadsIsAKnownSetting() throws Exception {
        List<String> read = new ArrayList<>();
        for (Field field : LifecycleBuilder.class.getDeclaredFields()) {
            if (field.getName().startsWith("ENV_")) {
                read.add((String) field.get(null));
            }
        }

        assertThat(LifecycleBuilder.SETTINGS).containsExactlyInAnyOrderElementsOf(read);
    }

    // Kubernetes injects these into every pod of the namespace for a Service named lifecycle-example (or lifecycle):
    // failing on them would crash every new pod of a rollout.
    @Test
    void kubernetesServiceLinkVariablesAreNotMistakenForSettings() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of(
                "LIFECYCLE_EXAMPLE_SERVICE_HOST", "10.96.0.12",
                "LIFECYCLE_EXAMPLE_SERVICE_PORT", "80",
                "LIFECYCLE_EXAMPLE_SERVICE_PORT_HTTP", "80",
                "LIFECYCLE_EXAMPLE_PORT", "tcp://10.96.0.12:80",
                "LIFECYCLE_EXAMPLE_PORT_80_TCP", "tcp://10.96.0.12:80",
                "LIFECYCLE_EXAMPLE_PORT_80_TCP_PROTO", "tcp",
                "LIFECYCLE_EXAMPLE_PORT_80_TCP_PORT", "80",
                "LIFECYCLE_EXAMPLE_PORT_80_TCP_ADDR", "10.96.0.12",
                "LIFECYCLE_SERVICE_HOST", "10.96.0.13",
                "LIFECYCLE_PORT", "tcp://10.96.0.13:80")).build();

        assertThat(lifecycle.drainTimeout()).isEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void startWarnsWhenTheShutdownBudgetExceedsTheTerminationGracePeriod() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of())
                                       .preStopDelay(Duration.ofSeconds(10))
                                       .drainTimeout(Duration.ofSeconds(20))
                                       .stopTimeout(Duration.ofSeconds(5))
                                       .build();
        try (LogCapture log = new LogCapture()) {
            lifecycle.start();

            assertThat(log.text()).contains("WARN", "Shutdown may take up to 35.0 s (pre-stop delay 10.0 s + drain "
                                                    + "20.0 s + 1 stop action(s) x 5.0 s), which leaves less than "
                                                    + "10% of the termination grace period of 30.0 s: raise the "
                                                    + "pod's terminationGracePeriodSeconds to at least 39");
        }
    }

    // Regression (issue 11, defect 9): a budget equal to the grace period (no margin at all) did not warn.
    @Test
    void startWarnsWhenTheShutdownBudgetLeavesLessThanATenPercentMargin() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of())
                                       .preStopDelay(Duration.ofSeconds(3)) // 3 + 20 + 5 = 28 s > 27 s
                                       .build();
        try (LogCapture log = new LogCapture()) {
            lifecycle.start();

            assertThat(log.text()).contains("WARN", "Shutdown may take up to 28.0 s (pre-stop delay 3.0 s + drain "
                                                    + "20.0 s + 1 stop action(s) x 5.0 s), which leaves less than "
                                                    + "10% of the termination grace period of 30.0 s: raise the "
                                                    + "pod's terminationGracePeriodSeconds to at least 32");
        }
    }

    // Regression (issue 11, defect 9): stop actions registered after start() (the HTTP server's, the pool's) were
    // never counted: the defaults with two of them fill the 30 s grace period exactly, and nothing warned.
    @Test
    void shutdownWarnsAgainCountingStopActionsRegisteredAfterStart() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();
        try (LogCapture log = new LogCapture()) {
            lifecycle.start();
            assertThat(log.text()).doesNotContain("WARN");
            lifecycle.addStopAction("http server", () -> { });
            lifecycle.addStopAction("database pool", () -> { });

            lifecycle.shutdown();

            assertThat(log.text()).containsSubsequence(
                    "Ready in", "WARN", "Shutdown may take up to 30.0 s (pre-stop delay 0 ms + drain 20.0 s + 2 "
                                        + "stop action(s) x 5.0 s), which leaves less than 10% of the termination "
                                        + "grace period of 30.0 s: raise the pod's terminationGracePeriodSeconds to "
                                        + "at least 34", "Draining");
        }
    }

    @Test
    void shutdownDoesNotRepeatTheWarningOfStart() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).drainTimeout(Duration.ofSeconds(23)).build();
        try (LogCapture log = new LogCapture()) {
            lifecycle.start(); // 0 + 23 + 1 x 5 = 28 s > 27 s: warns
            lifecycle.addStopAction("http server", () -> { });
            lifecycle.shutdown(); // the same budget: warned already

            assertThat(log.text().split("Shutdown may take up to", -1)).hasSize(2);
        }
    }

    @Test
    void startDoesNotWarnWhenTheShutdownBudgetFits() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();
        try (LogCapture log = new LogCapture()) {
            lifecycle.start();
            lifecycle.addStopAction("http server", () -> { });
            lifecycle.shutdown();

            assertThat(log.text()).doesNotContain("WARN").contains("Ready in", "Stopped in");
        }
    }
}
