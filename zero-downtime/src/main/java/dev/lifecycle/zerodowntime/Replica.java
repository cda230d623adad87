package dev.lifecycle.zerodowntime;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One replica: a child process started from the user's command line without a shell, so that SIGTERM goes to the
 * service itself (as to PID 1 of a container) and not to a wrapper. Its output goes to a log file; its port is either
 * chosen here and passed in the port variable, or read from its output when a listen pattern is given (port 0).
 *
 * <p>The timeline fields are written by the orchestrator and read for the report after the run.
 */
final class Replica {

    final String id;
    final int revision;
    final int slot;
    final Path log;
    final Path readyFile;
    private final Process process;
    private final CompletableFuture<Integer> port;

    volatile double startedAt = Double.NaN;
    volatile double upAt = Double.NaN;
    volatile double readyAt = Double.NaN;
    volatile double sigtermAt = Double.NaN;
    volatile double removedAt = Double.NaN;
    volatile double exitedAt = Double.NaN;
    volatile int exitCode = Integer.MIN_VALUE;
    volatile boolean killed;
    volatile boolean terminatedByRollout;
    /** SIGKILLed on purpose by the scenario (a container crash): exempt from the termination rules. */
    volatile boolean crashed;

    private Replica(String id, int revision, int slot, Path log, Path readyFile, Process process,
                    CompletableFuture<Integer> port) {
        this.id = id;
        this.revision = revision;
        this.slot = slot;
        this.log = log;
        this.readyFile = readyFile;
        this.process = process;
        this.port = port;
    }

    /** A replica that never ran, for tests of the report. */
    Replica(String id, int revision, int slot) {
        this(id, revision, slot, Path.of(id + ".log"), null, null, CompletableFuture.completedFuture(0));
    }

    /**
     * Starts one replica.
     *
     * @param prefix what runs the command in its pod (e.g. {@code ip netns exec pod-3}); it must exec the command, so
     *        that the process we signal is the service's
     * @param fixedPort the port every replica listens on (each in its own network namespace), or 0 for a free port
     *        on the loopback (or the listen pattern)
     * @param readyFile where the replica writes its ready-file: the pod's volume, kept across container restarts
     * @param workingDirectory where it runs (a pod's volume), or null for the harness's own
     */
    static Replica start(String id, int revision, int slot, List<String> prefix, List<String> command,
                         Map<String, String> environment, String portVariable, int fixedPort, Pattern listenPattern,
                         String instanceVariable, String readyFileVariable, Path readyFile, Path workingDirectory,
                         Path directory, Timeline timeline) throws IOException {
        Files.createDirectories(directory);
        Path log = directory.resolve(id + ".log");
        if (readyFileVariable == null) {
            readyFile = null;
        }
        List<String> full = new java.util.ArrayList<>(prefix);
        full.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true);
        if (workingDirectory != null) {
            builder.directory(workingDirectory.toFile());
        }
        Map<String, String> env = builder.environment();
        environment.forEach((name, value) -> {
            if (value == null) {
                env.remove(name);
            } else {
                env.put(name, value);
            }
        });
        CompletableFuture<Integer> port = new CompletableFuture<>();
        if (fixedPort > 0) {
            env.put(portVariable, Integer.toString(fixedPort));
            port.complete(fixedPort);
        } else if (listenPattern == null) {
            int chosen = freePort();
            env.put(portVariable, Integer.toString(chosen));
            port.complete(chosen);
        } else {
            env.put(portVariable, "0");
        }
        env.put(instanceVariable, id);
        if (readyFile != null) {
            env.put(readyFileVariable, readyFile.toString());
        }
        double startedAt = timeline.now();
        Process process = builder.start();
        Replica replica = new Replica(id, revision, slot, log, readyFile, process, port);
        replica.startedAt = startedAt;
        Thread pump = new Thread(() -> replica.pumpOutput(listenPattern), "output-" + id);
        pump.setDaemon(true);
        pump.start();
        return replica;
    }

    private void pumpOutput(Pattern listenPattern) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
             BufferedWriter out = Files.newBufferedWriter(log, StandardCharsets.UTF_8,
                     java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                out.write(line);
                out.newLine();
                out.flush();
                if (listenPattern != null && !port.isDone()) {
                    Matcher m = listenPattern.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            port.completeExceptionally(e);
        }
        port.completeExceptionally(new IOException("replica " + id + " closed its output before printing its port; "
                + "see " + log));
    }

    int awaitPort(Duration timeout) throws IOException, InterruptedException {
        try {
            return port.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("replica " + id + " printed no port within " + timeout + "; see " + log, e);
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM to the process itself. */
    void terminate() {
        // Not Process.destroy(): it also closes our end of the replica's output, so that what the replica logs while
        // it drains (and any error it meets then) would be lost to its log file.
        process.toHandle().destroy();
    }

    /** SIGKILL. */
    void kill() {
        process.destroyForcibly();
    }

    CompletableFuture<Process> onExit() {
        return process.onExit();
    }

    int exitValue() {
        return process.exitValue();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
