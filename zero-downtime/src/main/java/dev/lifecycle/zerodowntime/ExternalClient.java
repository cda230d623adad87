package dev.lifecycle.zerodowntime;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A client of the run in a process of its own, possibly in another network namespace: a {@link LoadClient} JVM (the
 * raw generator, the JDK's or Apache's HttpClient) or {@code hey} (Go's net/http, a closed loop at a rate per worker).
 * Started before the rollout, stopped after it; {@link #stop} returns what it saw.
 */
abstract class ExternalClient {

    final String name;
    final Process process;
    final Path output;
    /** Completes when the client's schedule runs. */
    final CompletableFuture<Void> started;

    private ExternalClient(String name, Process process, Path output, CompletableFuture<Void> started) {
        this.name = name;
        this.process = process;
        this.output = output;
        this.started = started;
    }

    /** Waits until the client's load runs; a client that cannot start within {@code bound} is killed. */
    void awaitStarted(Duration bound) throws IOException, InterruptedException {
        try {
            started.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            kill();
            throw new IOException("client " + name + " did not start its load within " + bound + "; see " + output,
                    e);
        }
    }

    /** Stops the load and returns its records; the process is gone when this returns or throws. */
    abstract ClientRecords stop(Duration bound) throws IOException, InterruptedException;

    void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /**
     * Starts a {@link LoadClient} JVM, run with {@code prefix} (e.g. {@code ip netns exec <node>}); see
     * {@link #awaitStarted(Duration)}.
     */
    static ExternalClient java(String client, List<String> prefix, String host, int port, int rate, int connections,
                               int requestsPerConnection, int burst, Duration burstPeriod, Duration readTimeout, List<String> requests,
                               String instanceHeader, Timeline timeline, Path directory) throws IOException {
        return java(Path.of(System.getProperty("java.home"), "bin", "java"), client, prefix, host, port, rate,
                connections, requestsPerConnection, burst, burstPeriod, readTimeout, requests, instanceHeader,
                timeline, directory);
    }

    /** As the method above, run by the {@code java} executable given (another JDK's). */
    static ExternalClient java(Path java, String client, List<String> prefix, String host, int port, int rate,
                               int connections, int requestsPerConnection, int burst, Duration burstPeriod,
                               Duration readTimeout, List<String> requests, String instanceHeader, Timeline timeline,
                               Path directory) throws IOException {
        Files.createDirectories(directory);
        Path records = directory.resolve(client + ".records");
        Path output = directory.resolve(client + ".out");
        Files.deleteIfExists(records);
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(java.toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                LoadClient.class.getName(),
                "--client", client, "--host", host, "--port", Integer.toString(port),
                "--rate", Integer.toString(rate), "--connections", Integer.toString(connections),
                "--requests-per-connection", Integer.toString(requestsPerConnection),
                "--burst", Integer.toString(burst), "--burst-period-ms", Long.toString(burstPeriod.toMillis()),
                "--read-timeout-ms", Long.toString(readTimeout.toMillis()), "--instance-header", instanceHeader,
                "--origin-nanos", Long.toString(timeline.originNanos()),
                "--origin-epoch-micros", Long.toString(timeline.originEpochMicros()),
                "--records", records.toAbsolutePath().toString()));
        for (String request : requests) {
            command.add("--request");
            command.add(request);
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        CompletableFuture<Void> started = new CompletableFuture<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
                 var out = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    out.write(line);
                    out.newLine();
                    out.flush();
                    if (line.equals(LoadClient.STARTED)) {
                        started.complete(null);
                    }
                }
            } catch (IOException e) {
                started.completeExceptionally(e);
            }
            started.completeExceptionally(new IOException("client " + client + " ended before its load started; see "
                    + output));
        }, "client-output-" + client);
        pump.setDaemon(true);
        pump.start();
        return new ExternalClient(client, process, output, started) {
            @Override
            ClientRecords stop(Duration bound) throws IOException, InterruptedException {
                process.getOutputStream().close();
                if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                    kill();
                    throw new IOException("client " + client + " still running " + bound + " after it was told to "
                            + "stop; see " + output);
                }
                if (process.exitValue() != 0 || !Files.exists(records)) {
                    throw new IOException("client " + client + " exited with " + process.exitValue()
                            + " without its records; see " + output);
                }
                return ClientRecords.read(records, null);
            }
        };
    }

    /**
     * {@code hey} sending POSTs (never retried by Go's net/http: a POST is not replayable) at {@code ratePerWorker}
     * per worker, for at most {@code maxDuration}; stopped with SIGINT, on which it prints its summary.
     */
    static ExternalClient hey(List<String> prefix, String url, int workers, double ratePerWorker, String body,
                              Duration readTimeout, Duration maxDuration, Path directory) throws IOException {
        Files.createDirectories(directory);
        Path output = directory.resolve("hey.out");
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of("hey", "-z", maxDuration.toSeconds() + "s", "-c", Integer.toString(workers),
                "-q", String.format(Locale.ROOT, "%.3f", ratePerWorker), "-m", "POST", "-T", "application/json",
                "-d", body, "-t", Long.toString(Math.max(1, readTimeout.toSeconds())), url));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        return new ExternalClient("hey", process, output, CompletableFuture.completedFuture(null)) {
            @Override
            ClientRecords stop(Duration bound) throws IOException, InterruptedException {
                // ip netns exec execs hey, so the pid is hey's; SIGINT makes it stop and print its summary.
                Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start();
                kill.waitFor(5, TimeUnit.SECONDS);
                if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                    kill();
                    throw new IOException("hey still running " + bound + " after SIGINT; see " + output);
                }
                return ClientRecords.parseHey("hey", Files.readString(output, StandardCharsets.UTF_8));
            }
        };
    }
}
