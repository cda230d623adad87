package dev.lifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
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
                                    "LIFECYCLE_READY_FILE", "/tmp/from-env",
                                    "LIFECYCLE_UNRELATED", "ignored"))
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
                                                    + "20.0 s + 1 stop action(s) x 5.0 s), more than the "
                                                    + "termination grace period of 30.0 s: raise the pod's "
                                                    + "terminationGracePeriodSeconds to at least 35");
        }
    }

    @Test
    void startDoesNotWarnWhenTheShutdownBudgetFits() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();
        try (LogCapture log = new LogCapture()) {
            lifecycle.start();

            assertThat(log.text()).doesNotContain("WARN").contains("Ready in");
        }
    }
}
