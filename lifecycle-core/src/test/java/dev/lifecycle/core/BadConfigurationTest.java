package dev.lifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input for every setting, from the builder and from the environment: the combinations {@link ConfigurationTest}
 * and {@link ReadyFileTest} leave out. Each must fail fast with one message naming the setting, the value and the
 * expectation.
 */
class BadConfigurationTest {

    private static final String UNPARSABLE = " (expected: a duration such as 0, 500ms, 5s, 2m, 1h or PT5S)";
    private static final String OVERFLOWING = " (expected: a duration that fits in a long of nanoseconds)";

    @TempDir
    Path directory;

    // Proves: each duration variable rejects negative, unparsable, overflowing and blank values with an exact message.
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // negative, in the short and the ISO form
            "LIFECYCLE_STOP_TIMEOUT             | -1ms                   | (expected: >= 0)",
            "LIFECYCLE_LONG_LIVED_DRAIN_TIMEOUT | -2m                    | (expected: >= 0)",
            "LIFECYCLE_TERMINATION_GRACE_PERIOD | -PT30S                 | (expected: >= 0)",
            "LIFECYCLE_DRAIN_TIMEOUT            | -P1D                   | (expected: >= 0)",
            "LIFECYCLE_PRESTOP_DELAY            | PT-5S                  | (expected: >= 0)",
            // zero where a zero is meaningless
            "LIFECYCLE_STOP_TIMEOUT             | 0ms                    | (expected: > 0)",
            "LIFECYCLE_STOP_TIMEOUT             | PT0S                   | (expected: > 0)",
            "LIFECYCLE_STOP_TIMEOUT             | -0s                    | (expected: > 0)",
            // unparsable
            "LIFECYCLE_PRESTOP_DELAY            | 5 seconds              | UNPARSABLE",
            "LIFECYCLE_DRAIN_TIMEOUT            | +5s                    | UNPARSABLE",
            "LIFECYCLE_DRAIN_TIMEOUT            | 5min                   | UNPARSABLE",
            "LIFECYCLE_TERMINATION_GRACE_PERIOD | 30sec                  | UNPARSABLE",
            "LIFECYCLE_STOP_TIMEOUT             | P                      | UNPARSABLE",
            "LIFECYCLE_LONG_LIVED_DRAIN_TIMEOUT | 1e3ms                  | UNPARSABLE",
            "LIFECYCLE_PRESTOP_DELAY            | ５s                     | UNPARSABLE",
            // overflowing a long of nanoseconds, or a long at all
            "LIFECYCLE_PRESTOP_DELAY            | 9223372036855ms        | OVERFLOWING",
            "LIFECYCLE_STOP_TIMEOUT             | 9223372036854775808s   | OVERFLOWING",
            "LIFECYCLE_LONG_LIVED_DRAIN_TIMEOUT | 9223372036854775807h   | OVERFLOWING",
            "LIFECYCLE_TERMINATION_GRACE_PERIOD | P999999999D            | OVERFLOWING",
            "LIFECYCLE_DRAIN_TIMEOUT            | -9223372036854775809ms | OVERFLOWING",
            // blank: set, but to nothing
            "LIFECYCLE_PRESTOP_DELAY            | ''                     | UNPARSABLE",
            "LIFECYCLE_LONG_LIVED_DRAIN_TIMEOUT | ' '                    | UNPARSABLE",
            "LIFECYCLE_STOP_TIMEOUT             | ''                     | UNPARSABLE",
            "LIFECYCLE_TERMINATION_GRACE_PERIOD | '\t'                   | UNPARSABLE",
    })
    void everyDurationVariableRejectsBadValuesNamingVariableAndValue(String variable, String value, String expected) {
        String expectation = switch (expected) {
            case "UNPARSABLE" -> UNPARSABLE;
            case "OVERFLOWING" -> OVERFLOWING;
            default -> " " + expected;
        };
        LifecycleBuilder builder = Lifecycle.builder().environment(Map.of(variable, value));

        assertThatThrownBy(builder::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(variable + ": '" + value + "'" + expectation);
    }

    // Proves: a blank ready-file variable is rejected as well when it is only whitespace.
    @Test
    void aWhitespaceReadyFileVariableIsRejected() {
        LifecycleBuilder builder = Lifecycle.builder().environment(Map.of("LIFECYCLE_READY_FILE", "  "));

        assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class)
                                          .hasMessage("LIFECYCLE_READY_FILE: '  ' (expected: a file path)");
    }

    static Stream<Arguments> durationSetters() {
        return Stream.of(
                setter("preStopDelay", LifecycleBuilder::preStopDelay),
                setter("drainTimeout", LifecycleBuilder::drainTimeout),
                setter("longLivedDrainTimeout", LifecycleBuilder::longLivedDrainTimeout),
                setter("stopTimeout", LifecycleBuilder::stopTimeout),
                setter("terminationGracePeriod", LifecycleBuilder::terminationGracePeriod),
                setter("retryAfter", LifecycleBuilder::retryAfter));
    }

    private static Arguments setter(String name, BiFunction<LifecycleBuilder, Duration, LifecycleBuilder> setter) {
        return Arguments.of(name, setter);
    }

    // Proves: every duration setter rejects null, a value too long to wait in nanoseconds, and the most negative one.
    @ParameterizedTest(name = "{0}")
    @MethodSource("durationSetters")
    void everyDurationSetterRejectsNullOverflowAndMinimum(String name,
                                                          BiFunction<LifecycleBuilder, Duration, LifecycleBuilder> set) {
        LifecycleBuilder builder = Lifecycle.builder();
        Duration tooLong = Duration.ofNanos(Long.MAX_VALUE).plusNanos(1);
        Duration mostNegative = Duration.ofSeconds(Long.MIN_VALUE);

        assertThatThrownBy(() -> set.apply(builder, null))
                .isInstanceOf(NullPointerException.class).hasMessage(name + " cannot be null");
        assertThatThrownBy(() -> set.apply(builder, tooLong))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(name + ": PT2562047H47M16.854775808S (expected: <= 9223372036854775807 ns)");
        assertThatThrownBy(() -> set.apply(builder, mostNegative))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(name + ": " + mostNegative + " (expected: >= 0)");
        // The largest value that fits is accepted, zero too except where it is meaningless.
        assertThat(set.apply(builder, Duration.ofNanos(Long.MAX_VALUE))).isSameAs(builder);
        if (!name.equals("stopTimeout")) {
            assertThat(set.apply(builder, Duration.ZERO)).isSameAs(builder);
        }
    }

    // Proves: startup tasks and checks reject every bad argument naming it; the first checks are in ConfigurationTest.
    @Test
    void startupTasksAndChecksRejectBadArgumentsByName() {
        StartupTask task = StartupTask.of("migrations", () -> { });

        assertThatThrownBy(() -> task.timeout(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("startupTask 'migrations' timeout: PT-0.001S (expected: > 0)");
        assertThatThrownBy(() -> task.timeout(null))
                .isInstanceOf(NullPointerException.class).hasMessage("timeout cannot be null");
        assertThatThrownBy(() -> task.dependsOn("cache", null))
                .isInstanceOf(NullPointerException.class).hasMessage("dependency cannot be null");
        assertThatThrownBy(() -> StartupTask.of("", () -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("startupTask name: '' (expected: not blank)");
        LifecycleBuilder builder = Lifecycle.builder();
        assertThatThrownBy(() -> builder.livenessCheck("\t", () -> true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("livenessCheck name: '\t' (expected: not blank)");
        assertThatThrownBy(() -> builder.readinessCheck(null, () -> true))
                .isInstanceOf(NullPointerException.class).hasMessage("name cannot be null");
        assertThatThrownBy(() -> builder.readinessCheck("db", null))
                .isInstanceOf(NullPointerException.class).hasMessage("check cannot be null");
    }

    // Proves: a ready-file under a directory that is read-only even for root fails start() naming the path.
    @Test
    void aReadyFileInADirectoryReadOnlyForRootIsAClearStartupErrorNamingThePath() {
        // /proc/self is a directory no one can create a file in, root included.
        Path readyFile = Path.of("/proc/self/ready");
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of("LIFECYCLE_READY_FILE", readyFile.toString()))
                                       .build();

        assertThatThrownBy(lifecycle::start)
                .isInstanceOfSatisfying(StartupException.class, e -> assertThat(e.taskName()).isNull())
                .hasMessageStartingWith("readyFile: cannot write /proc/self/ready: ");
        assertThat(lifecycle.state()).isEqualTo(State.FAILED);
        assertThat(lifecycle.tracker().tryEnter().admitted()).isFalse();
    }

    // Proves: a ready-file path in a missing directory, given by the environment, fails start() naming the path.
    @Test
    void aReadyFileVariableInAMissingDirectoryIsAClearStartupErrorNamingThePath() {
        Path readyFile = directory.resolve("missing/ready");
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of("LIFECYCLE_READY_FILE", readyFile.toString()))
                                       .build();

        assertThatThrownBy(lifecycle::start)
                .isInstanceOf(StartupException.class)
                .hasMessage("readyFile: cannot write " + readyFile + ": IOException directory " + readyFile.getParent()
                            + " does not exist");
    }

    // Regression (readyFileOnAnEmptyDirectoryDeletedIt): start() deleted an empty directory found at the ready-file
    // path, then wrote the file in its place; now it refuses, naming the path, and leaves the directory alone.
    @Test
    void readyFileOnAnEmptyDirectoryDeletedIt() throws Exception {
        Path readyFile = Files.createDirectory(directory.resolve("ready"));
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).readyFile(readyFile).build();

        assertThatThrownBy(lifecycle::start)
                .isInstanceOf(StartupException.class)
                .hasMessage("readyFile: cannot write " + readyFile + ": IOException " + readyFile
                            + " is a directory");
        assertThat(readyFile).isDirectory();
        assertThat(lifecycle.state()).isEqualTo(State.FAILED);
    }

    // Proves: the root directory as ready-file path is a clear error too (it used to say "directory null").
    @Test
    void theRootDirectoryAsReadyFileIsAClearStartupError() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of("LIFECYCLE_READY_FILE", "/")).build();

        assertThatThrownBy(lifecycle::start)
                .isInstanceOf(StartupException.class)
                .hasMessage("readyFile: cannot write /: IOException / is a directory");
    }
}
