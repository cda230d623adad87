package dev.lifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.lifecycle.core.internal.ReadyFile;
import dev.lifecycle.testing.ServiceProcess;

/** Real child JVMs running {@link SignalledService}: what Kubernetes does to process 1 of a container. */
class SignalTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    /** A JVM ended by a signal exits with 128 + the signal's number; SIGTERM is 15. */
    private static final int EXIT_AFTER_SIGTERM = 143;
    private static final int EXIT_AFTER_SIGKILL = 137;

    @TempDir
    Path directory;

    @Test
    void sigtermRunsTheShutdownSequenceAndTheJvmExitsWith143() throws Exception {
        Path readyFile = directory.resolve("ready");
        Path output = directory.resolve("output.log");
        try (ServiceProcess process = launch(output, Map.of("LIFECYCLE_READY_FILE", readyFile.toString()), "ok")) {
            awaitOutput(process, SignalledService.READY_MARKER);
            await().atMost(WAIT).until(() -> Files.exists(readyFile));

            process.signal("TERM");

            assertThat(process.awaitExit(WAIT)).isEqualTo(EXIT_AFTER_SIGTERM);
            assertThat(readyFile).doesNotExist();
            assertThat(process.output()).containsSubsequence("Ready in", SignalledService.READY_MARKER,
                                                          "Draining: readiness down",
                                                          "Drain began (serve-and-close): 0 request(s) in flight "
                                                          + "and 1 long-lived",
                                                          "Drained in",
                                                          "stop action 'http server' ran",
                                                          "Stopped in");
        }
    }

    @Test
    void aFailingStartupTaskExitsNonZeroWithoutAReadyFile() throws Exception {
        Path readyFile = Files.writeString(directory.resolve("ready"), "stale");
        Path output = directory.resolve("output.log");
        try (ServiceProcess process = launch(output, Map.of("LIFECYCLE_READY_FILE", readyFile.toString()), "fail")) {
            assertThat(process.awaitExit(WAIT)).isEqualTo(1);
            assertThat(readyFile).doesNotExist();
            assertThat(process.output()).contains("ERROR", "Startup task 'migrations' failed",
                                              "V7__orders.sql: syntax error",
                                              "Startup failed in task migrations")
                                    .doesNotContain(SignalledService.READY_MARKER);
        }
    }

    @Test
    void aSecondSigtermDuringTheSequenceDoesNotStartAnother() throws Exception {
        Path readyFile = directory.resolve("ready");
        Path output = directory.resolve("output.log");
        // A pre-stop delay holds the sequence open long enough for the second signal to land inside it.
        try (ServiceProcess process = launch(output, Map.of("LIFECYCLE_READY_FILE", readyFile.toString(),
                                                "LIFECYCLE_PRESTOP_DELAY", "3s"), "ok")) {
            awaitOutput(process, SignalledService.READY_MARKER);
            process.signal("TERM");
            awaitOutput(process, "Draining: readiness down");
            assertThat(readyFile).doesNotExist();

            process.signal("TERM");

            assertThat(process.awaitExit(WAIT)).isEqualTo(EXIT_AFTER_SIGTERM);
            String log = process.output();
            assertThat(log).contains("serving for the pre-stop delay of 3.0 s", "Stopped in");
            assertThat(log.split("Draining: readiness down", -1)).hasSize(2);
            assertThat(log.split("stop action 'http server' ran", -1)).hasSize(2);
        }
    }

    // Proves: a startup task that hangs (deaf to interrupts) times out, the JVM exits 1, the ready-file never appears.
    @Test
    void aStartupTaskThatHangsTimesOutAndTheProcessExitsNonZeroWithoutAReadyFile() throws Exception {
        Path readyFile = directory.resolve("ready");
        Path output = directory.resolve("output.log");
        try (ServiceProcess process = launch(output, Map.of("LIFECYCLE_READY_FILE", readyFile.toString()), "hang")) {
            assertThat(process.awaitExit(WAIT)).isEqualTo(1);
            assertThat(readyFile).doesNotExist();
            assertThat(process.output()).contains("ERROR", "Startup task 'migrations' timed out after "
                                                       + SignalledService.HANG_TIMEOUT_MILLIS + " ms; interrupting it",
                                              "Startup failed in task migrations: Startup task 'migrations' timed "
                                              + "out after " + SignalledService.HANG_TIMEOUT_MILLIS + " ms")
                                    .doesNotContain("Ready in", SignalledService.READY_MARKER);
        }
    }

    // Regression (issue 11, defect 1): a ready-file left by a SIGKILLed process (an emptyDir survives a container
    // restart) made the exec probe report the restarted container ready, its port still closed, until start().
    // Proves: the documented probe command rejects the stale file from the restarted process's first instant, the
    // file is gone by the time startup tasks run (removed at build()), and the probe accepts the new file once ready.
    @Test
    void aReadyFileLeftBySigkillIsNeverAcceptedByTheProbeUntilTheRestartIsReady() throws Exception {
        Path readyFile = directory.resolve("ready");
        Map<String, String> environment = Map.of("LIFECYCLE_READY_FILE", readyFile.toString());
        String staleContent;
        try (ServiceProcess killed = launch(directory.resolve("killed.log"), environment, "ok")) {
            awaitOutput(killed, SignalledService.READY_MARKER);
            assertThat(probe(readyFile)).as("the probe accepts the running writer's file").isZero();
            staleContent = Files.readString(readyFile);

            killed.signal("KILL"); // no shutdown hook runs

            assertThat(killed.awaitExit(WAIT)).isEqualTo(EXIT_AFTER_SIGKILL);
            assertThat(readyFile).as("left stale by the killed process").hasContent(staleContent);
            assertThat(probe(readyFile)).as("the probe rejects a dead writer's file").isNotZero();
        }

        try (ServiceProcess restarted = launch(directory.resolve("restarted.log"), environment, "gated")) {
            // From the first instant of the restarted process until its startup task (held by the test) runs, the
            // probe, polled from outside, never accepts the file.
            int probes = 0;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!restarted.output().contains(SignalledService.GATE_MARKER)) {
                assertThat(probe(readyFile)).as("probe %d of the restarted process before it is ready", probes)
                                            .isNotZero();
                probes++;
                assertThat(System.nanoTime() - deadline).as("the gated startup task runs within %s", WAIT)
                                                        .isNegative();
            }
            assertThat(probes).isPositive();
            assertThat(readyFile).as("removed at build(), before the startup tasks run").doesNotExist();
            assertThat(restarted.output()).doesNotContain("Ready in");

            release(restarted);

            awaitOutput(restarted, SignalledService.READY_MARKER);
            assertThat(Files.readString(readyFile)).isNotEqualTo(staleContent);
            assertThat(probe(readyFile)).as("the probe accepts the restarted process's file").isZero();
            restarted.signal("TERM");
            assertThat(restarted.awaitExit(WAIT)).isEqualTo(EXIT_AFTER_SIGTERM);
            assertThat(readyFile).doesNotExist();
            assertThat(probe(readyFile)).isNotZero();
        }
    }

    /** Runs the exec readiness probe command the README and the example's manifest document; its exit status. */
    private static int probe(Path readyFile) throws Exception {
        Process probe = new ProcessBuilder(ReadyFile.probeCommand(readyFile.toAbsolutePath()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(probe.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        return probe.exitValue();
    }

    // Proves: SIGTERM, then SIGINT and SIGTERM during the sequence, run one shutdown sequence with no exception; 143.
    @Test
    void sigintAndSigtermDuringTheSequenceDoNotStartAnotherNorThrow() throws Exception {
        Path output = directory.resolve("output.log");
        try (ServiceProcess process = launch(output, Map.of(), "ok", "stop-gated")) {
            awaitOutput(process, SignalledService.READY_MARKER);
            process.signal("TERM");
            // The stop action holds the sequence open until the test releases it.
            awaitOutput(process, SignalledService.STOP_GATE_MARKER);

            process.signal("INT");
            process.signal("TERM");
            release(process);

            assertThat(process.awaitExit(WAIT)).isEqualTo(EXIT_AFTER_SIGTERM);
            String log = process.output();
            assertThat(log).contains("Stop action 'http server' done")
                           .doesNotContain("Exception", "\tat ", "WARN", "ERROR");
            assertThat(log.split("Draining: readiness down", -1)).hasSize(2);
            assertThat(log.split(SignalledService.STOP_GATE_MARKER, -1)).hasSize(2);
            assertThat(log.split("Stopped in", -1)).hasSize(2);
        }
    }

    // Proves: in a real JVM, a stop action that hangs deaf to interrupts is cut at the stop timeout, the next one
    // still runs, and the process exits 143.
    @Test
    void aHangingStopActionIsCutAtItsTimeoutTheNextRunsAndTheJvmExits() throws Exception {
        Path output = directory.resolve("output.log");
        try (ServiceProcess process = launch(output, Map.of("LIFECYCLE_STOP_TIMEOUT", "300ms"), "ok", "stop-hangs")) {
            awaitOutput(process, SignalledService.READY_MARKER);

            process.signal("TERM");

            assertThat(process.awaitExit(WAIT)).isEqualTo(EXIT_AFTER_SIGTERM);
            assertThat(process.output()).containsSubsequence("WARN", "Stop action 'http server' did not finish within "
                                                                 + "300 ms; interrupting it and going on",
                                                         "stop action 'database pool' ran",
                                                         "Stop action 'database pool' done", "Stopped in")
                                    .doesNotContain("stop action 'http server' ran");
        }
    }

    /** Waits for a line of the child's output that contains {@code text}. */
    private static void awaitOutput(ServiceProcess process, String text) {
        process.awaitLine(Pattern.compile(Pattern.quote(text)), WAIT);
    }

    /** Writes the line the child's startup task or stop action waits for. */
    private static void release(ServiceProcess process) {
        process.writeInput("go\n");
    }

    /** Starts {@link SignalledService} in a child JVM, with no {@code LIFECYCLE_*} variable but {@code environment}. */
    private static ServiceProcess launch(Path output, Map<String, String> environment, String... args) {
        List<String> command = new ArrayList<>(List.of(
                ServiceProcess.javaExecutable(), "-Xmx64m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), SignalledService.class.getName()));
        command.addAll(List.of(args));
        return ServiceProcess.builder(command)
                             .removeEnvironment(System.getenv().keySet().stream()
                                                      .filter(name -> name.startsWith("LIFECYCLE_"))
                                                      .toArray(String[]::new))
                             .environment(environment)
                             .pipeStandardInput()
                             .logFile(output)
                             .start();
    }
}
