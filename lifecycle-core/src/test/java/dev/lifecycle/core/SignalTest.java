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
        Process process = launch(output, readyFile.toString(), "ok");
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
        Process process = launch(output, readyFile.toString(), "fail");
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

    private static Process launch(Path output, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(
                java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), SignalledService.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }
}
