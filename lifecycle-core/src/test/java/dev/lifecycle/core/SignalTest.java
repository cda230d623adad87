package dev.lifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real child JVMs running {@link SignalledService}: what Kubernetes does to process 1 of a container. */
class SignalTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    /** A JVM ended by a signal exits with 128 + the signal's number; SIGTERM is 15. */
    private static final int EXIT_AFTER_SIGTERM = 143;

    @TempDir
    Path directory;

    @Test
    void sigtermRunsTheShutdownSequenceAndTheJvmExitsWith143() throws Exception {
        Path readyFile = directory.resolve("ready");
        Path output = directory.resolve("output.log");
        Process process = launch(output, Map.of("LIFECYCLE_READY_FILE", readyFile.toString()), "ok");
        try {
            await().atMost(WAIT).until(() -> Files.exists(readyFile) && read(output).contains(
                    SignalledService.READY_MARKER));

            process.destroy(); // SIGTERM on Linux and macOS

            assertThat(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isEqualTo(EXIT_AFTER_SIGTERM);
            assertThat(readyFile).doesNotExist();
            assertThat(read(output)).containsSubsequence("Ready in", SignalledService.READY_MARKER,
                                                          "Draining: readiness down",
                                                          "Admission closed: draining 0 request(s) in flight and 1 "
                                                          + "long-lived",
                                                          "Drained in",
                                                          "stop action 'http server' ran",
                                                          "Stopped in");
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void aFailingStartupTaskExitsNonZeroWithoutAReadyFile() throws Exception {
        Path readyFile = Files.writeString(directory.resolve("ready"), "stale");
        Path output = directory.resolve("output.log");
        Process process = launch(output, Map.of("LIFECYCLE_READY_FILE", readyFile.toString()), "fail");
        try {
            assertThat(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

            assertThat(process.exitValue()).isEqualTo(1);
            assertThat(readyFile).doesNotExist();
            assertThat(read(output)).contains("ERROR", "Startup task 'migrations' failed",
                                              "V7__orders.sql: syntax error",
                                              "Startup failed in task migrations")
                                    .doesNotContain(SignalledService.READY_MARKER);
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void aSecondSigtermDuringTheSequenceDoesNotStartAnother() throws Exception {
        Path readyFile = directory.resolve("ready");
        Path output = directory.resolve("output.log");
        // A pre-stop delay holds the sequence open long enough for the second signal to land inside it.
        Process process = launch(output, Map.of("LIFECYCLE_READY_FILE", readyFile.toString(),
                                                "LIFECYCLE_PRESTOP_DELAY", "3s"), "ok");
        try {
            await().atMost(WAIT).until(() -> read(output).contains(SignalledService.READY_MARKER));
            process.destroy();
            await().atMost(WAIT).until(() -> read(output).contains("Draining: readiness down"));
            assertThat(readyFile).doesNotExist();

            process.destroy();

            assertThat(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isEqualTo(EXIT_AFTER_SIGTERM);
            String log = read(output);
            assertThat(log).contains("serving for the pre-stop delay of 3.0 s", "Stopped in");
            assertThat(log.split("Draining: readiness down", -1)).hasSize(2);
            assertThat(log.split("stop action 'http server' ran", -1)).hasSize(2);
        } finally {
            process.destroyForcibly();
        }
    }

    private static Process launch(Path output, Map<String, String> environment, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(
                java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), SignalledService.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                                                            .redirectOutput(output.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("LIFECYCLE_"));
        builder.environment().putAll(environment);
        return builder.start();
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }
}
