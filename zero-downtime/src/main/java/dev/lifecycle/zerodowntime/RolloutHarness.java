package dev.lifecycle.zerodowntime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proves that a service goes through rolling updates without a failed request, the way Kubernetes would treat its
 * pods, and shows what happens when it does not.
 *
 * <p>One {@link #run()}: start a real HAProxy ({@code mode tcp}, {@code retries 0}, no redispatch, HTTP checks of the
 * readiness path as the readiness probe); deploy the first revision; start an open-loop load on raw keep-alive
 * connections that never retries; then roll out each further revision with maxSurge 1 and maxUnavailable 0: start a
 * new replica, wait until HAProxy has it in rotation, hold {@code minReady}, and terminate the oldest one by sending
 * SIGTERM to its process at T and removing it from HAProxy at T + {@code endpointLag}, as the endpoint controller
 * would, SIGKILLing it if it still runs at T + {@code terminationGracePeriod}. Every request is logged to
 * {@code requests.csv}; the {@link RolloutReport} says whether the rollout was free of downtime.
 *
 * <pre>{@code
 * RolloutReport report = RolloutHarness.builder()
 *     .command(List.of("java", "-jar", "service.jar"))
 *     .readinessPath("/health/ready")
 *     .build()
 *     .run();
 * System.out.println(report.summaryTable());
 * }</pre>
 */
public final class RolloutHarness {

    private static final Logger logger = LoggerFactory.getLogger(RolloutHarness.class);

    private final List<String> command;
    private final Map<String, String> environment;
    private final List<Map<String, String>> revisions;
    private final int replicas;
    private final String readinessPath;
    private final String portVariable;
    private final Pattern listenPattern;
    private final String instanceVariable;
    private final String instanceHeader;
    private final String readyFileVariable;
    private final List<String> requests;
    private final int rate;
    private final int connections;
    private final Duration readTimeout;
    private final Duration endpointLag;
    private final Duration terminationGracePeriod;
    private final Duration minReady;
    private final Duration startTimeout;
    private final Duration warmup;
    private final Duration cooldown;
    private final Duration checkInterval;
    private final Path workDirectory;
    private final String haproxy;
    private final String name;

    RolloutHarness(RolloutHarnessBuilder b) {
        command = b.command;
        environment = new LinkedHashMap<>(b.environment);
        revisions = List.copyOf(b.revisions);
        replicas = b.replicas;
        readinessPath = b.readinessPath;
        portVariable = b.portVariable;
        listenPattern = b.listenPattern;
        instanceVariable = b.instanceVariable;
        instanceHeader = b.instanceHeader;
        readyFileVariable = b.readyFileVariable;
        requests = b.requests;
        rate = b.rate;
        connections = b.connections;
        readTimeout = b.readTimeout;
        endpointLag = b.endpointLag;
        terminationGracePeriod = b.terminationGracePeriod;
        minReady = b.minReady;
        startTimeout = b.startTimeout;
        warmup = b.warmup;
        cooldown = b.cooldown;
        checkInterval = b.checkInterval;
        workDirectory = b.workDirectory;
        haproxy = b.haproxy;
        name = b.name;
    }

    /** A builder; only the command is required. */
    public static RolloutHarnessBuilder builder() {
        return new RolloutHarnessBuilder();
    }

    /**
     * Runs the whole scenario and returns its report; the per-request log is in the report's
     * {@link RolloutReport#requestLog()}. Every process it started is stopped when it returns or throws.
     *
     * @throws IOException if HAProxy or a replica cannot be started, or a replica is not in rotation within the start
     *         timeout: the rollout could not proceed, which says nothing about downtime
     */
    public RolloutReport run() throws IOException, InterruptedException {
        Timeline timeline = new Timeline();
        Path directory = workDirectory != null ? workDirectory : Files.createTempDirectory("rollout-");
        Files.createDirectories(directory);
        long runStarted = System.nanoTime();
        int slots = replicas * revisions.size();
        List<Replica> all = new ArrayList<>();
        Deque<Replica> serving = new ArrayDeque<>();
        List<CompletableFuture<Void>> terminations = new ArrayList<>();
        LoadGenerator load = null;
        boolean loadStopped = false;
        Haproxy balancer = Haproxy.start(haproxy, directory.resolve("haproxy"), readinessPath, slots, checkInterval, 3);
        ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "rollout-timer");
            thread.setDaemon(true);
            return thread;
        });
        try {
            long phase = System.nanoTime();
            List<Replica> first = new ArrayList<>();
            for (int i = 0; i < replicas; i++) {
                first.add(launch(0, all, directory, timeline));
            }
            for (Replica replica : first) {
                awaitInRotation(replica, balancer, timeline);
                serving.addLast(replica);
            }
            logger.info("{}: revision 0 deployed, {} replicas in rotation in {} ms", name, replicas, millisSince(phase));

            RequestMix mix = requests.isEmpty() ? RequestMix.exampleService() : RequestMix.of(requests);
            load = new LoadGenerator(balancer.frontend(), rate, connections, Duration.ofSeconds(2), readTimeout, mix,
                    instanceHeader, timeline);
            load.start();
            pause(warmup);

            for (int revision = 1; revision < revisions.size(); revision++) {
                phase = System.nanoTime();
                for (int i = 0; i < replicas; i++) {
                    Replica fresh = launch(revision, all, directory, timeline);
                    awaitInRotation(fresh, balancer, timeline);
                    pause(minReady);
                    terminations.add(terminate(serving.removeFirst(), balancer, timers, timeline));
                    serving.addLast(fresh);
                }
                logger.info("{}: revision {} rolled out in {} ms", name, revision, millisSince(phase));
            }
            awaitAll(terminations, terminationGracePeriod.plus(endpointLag).plusSeconds(10));
            pause(cooldown);
            load.stop(readTimeout.plusSeconds(5));
            loadStopped = true;
        } finally {
            try {
                if (load != null && !loadStopped) {
                    load.stop(Duration.ofSeconds(1));
                }
            } finally {
                try {
                    stopAll(all);
                } finally {
                    balancer.close();
                    timers.shutdownNow();
                }
            }
        }
        RolloutReport report = new RolloutReport(name, rate, load.startedAt(), load.stoppedAt(), load.scheduled(),
                load.records(), all, load.reconnects(), readyFileVariable != null, terminationGracePeriod,
                endpointLag, directory.resolve("requests.csv"));
        report.writeRequestLog();
        Files.writeString(directory.resolve("summary.txt"), report.summaryTable(), StandardCharsets.UTF_8);
        logger.info("{}: done in {} ms, {} requests, {} failed; log {}", name, millisSince(runStarted),
                report.requests(), report.failures(), report.requestLog());
        return report;
    }

    private Replica launch(int revision, List<Replica> all, Path directory, Timeline timeline) throws IOException {
        int index = all.size() + 1;
        Map<String, String> env = new LinkedHashMap<>(environment);
        env.putAll(revisions.get(revision));
        Replica replica = Replica.start("r" + revision + "-" + index, revision, index, command, env, portVariable,
                listenPattern, instanceVariable, readyFileVariable, directory.resolve("replicas"), timeline);
        all.add(replica);
        return replica;
    }

    /** Routes the replica's slot to its port and waits until HAProxy's own check has put it in rotation. */
    private void awaitInRotation(Replica replica, Haproxy balancer, Timeline timeline)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        int port = replica.awaitPort(startTimeout);
        balancer.route(replica.slot, port);
        String slot = Haproxy.slotName(replica.slot);
        // HAProxy has no event for a check result: read its state every 20 ms, within the start timeout.
        while (!balancer.server(slot).isUp()) {
            if (!replica.isAlive()) {
                throw new IOException("replica " + replica.id + " exited with " + replica.exitValue()
                        + " before it was ready; see " + replica.log);
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("replica " + replica.id + " not in rotation within " + startTimeout
                        + " (HAProxy: " + balancer.server(slot).status() + "); see " + replica.log);
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        replica.upAt = timeline.now();
        if (replica.readyFile != null && Files.exists(replica.readyFile)) {
            replica.readyAt = timeline.at(Files.getLastModifiedTime(replica.readyFile));
        }
    }

    /** SIGTERM now, removal from HAProxy after the lag, SIGKILL after the grace period. */
    private CompletableFuture<Void> terminate(Replica replica, Haproxy balancer, ScheduledExecutorService timers,
                                              Timeline timeline) {
        replica.terminatedByRollout = true;
        replica.sigtermAt = timeline.now();
        replica.terminate();
        CompletableFuture<Void> removed = new CompletableFuture<>();
        timers.schedule(() -> {
            try {
                balancer.remove(replica.slot);
                replica.removedAt = timeline.now();
                removed.complete(null);
            } catch (IOException | RuntimeException e) {
                removed.completeExceptionally(e);
            }
        }, endpointLag.toNanos(), TimeUnit.NANOSECONDS);
        ScheduledFuture<?> kill = timers.schedule(() -> {
            if (replica.isAlive()) {
                replica.killed = true;
                logger.warn("{}: replica {} still running {} after SIGTERM; SIGKILL", name, replica.id,
                        terminationGracePeriod);
                replica.kill();
            }
        }, terminationGracePeriod.toNanos(), TimeUnit.NANOSECONDS);
        CompletableFuture<Void> exited = replica.onExit().thenAccept(process -> {
            replica.exitedAt = timeline.now();
            replica.exitCode = process.exitValue();
            kill.cancel(false);
        });
        return CompletableFuture.allOf(removed, exited);
    }

    private static void awaitAll(List<CompletableFuture<Void>> futures, Duration bound)
            throws IOException, InterruptedException {
        try {
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                    .get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("terminating a replica failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("replicas not terminated within " + bound, e);
        }
    }

    /**
     * After the load (or a failed run): the replicas the rollout did not terminate stop gracefully, and nothing
     * started by the run survives it.
     */
    private void stopAll(List<Replica> all) throws InterruptedException {
        all.stream().filter(replica -> !replica.terminatedByRollout).forEach(Replica::terminate);
        long deadline = System.nanoTime() + terminationGracePeriod.toNanos();
        for (Replica replica : all) {
            try {
                replica.onExit().get(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
                logger.warn("{}: replica {} still running at the end; SIGKILL", name, replica.id);
                replica.kill();
                try {
                    replica.onExit().get(5, TimeUnit.SECONDS);
                } catch (TimeoutException | java.util.concurrent.ExecutionException ignored) {
                    logger.warn("{}: replica {} (pid {}) survived SIGKILL for 5 s", name, replica.id, replica.pid());
                }
            }
        }
    }

    /** The pauses are the rollout's own timeline (warm-up, minReadySeconds), not a wait for something. */
    private static void pause(Duration duration) throws InterruptedException {
        TimeUnit.NANOSECONDS.sleep(duration.toNanos());
    }

    private static long millisSince(long nanoTime) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanoTime);
    }

    /**
     * Runs the harness from the command line against any service; exits with 0 when the rollout had zero downtime,
     * 1 when it had not, 2 on a usage error. See {@link #usage()}.
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println(usage());
            return;
        }
        RolloutHarnessBuilder builder;
        try {
            builder = parse(args);
        } catch (IllegalArgumentException | IllegalStateException e) {
            // NumberFormatException is an IllegalArgumentException
            System.err.println(e.getMessage());
            System.err.println(usage());
            System.exit(2);
            return;
        }
        RolloutReport report = builder.build().run();
        System.out.println(report.summaryTable());
        System.exit(report.isZeroDowntime() ? 0 : 1);
    }

    static String usage() {
        return String.join("\n",
                "usage: java -jar rollout-harness.jar [options] -- <command starting one replica>",
                "  --replicas N              replicas (3)",
                "  --rollouts N              rollouts after the first deployment (2)",
                "  --readiness-path PATH     checked by HAProxy as the readiness probe (/health/ready)",
                "  --port-variable NAME      variable giving a replica its port (PORT)",
                "  --listen-pattern REGEX    port 0 and read the port from output, group 1 (default: free port)",
                "  --instance-variable NAME  variable giving a replica its id (INSTANCE_ID)",
                "  --instance-header NAME    response header echoing the id (X-Instance)",
                "  --ready-file-variable NAME  variable for a ready-file path (none)",
                "  --env NAME=VALUE          variable for every replica (repeatable)",
                "  --request 'METHOD /path [json]'  request of the load (repeatable; default: example service mix)",
                "  --rate N                  requests per second (150)",
                "  --connections N           keep-alive connections (32)",
                "  --lag SECONDS             endpoint removal after SIGTERM (1)",
                "  --grace SECONDS           terminationGracePeriodSeconds (10)",
                "  --min-ready SECONDS       minReadySeconds (1)",
                "  --work-dir DIR            where logs and requests.csv go (a temporary directory)",
                "  --haproxy PATH            haproxy executable (haproxy on the PATH, else /usr/sbin/haproxy)");
    }

    static RolloutHarnessBuilder parse(String[] args) {
        RolloutHarnessBuilder builder = builder();
        List<String> requestList = new ArrayList<>();
        int i = 0;
        for (; i < args.length && !args[i].equals("--"); i += 2) {
            String option = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(option + ": missing value");
            }
            String value = args[i + 1];
            switch (option) {
                case "--replicas" -> builder.replicas(Integer.parseInt(value));
                case "--rollouts" -> {
                    int rollouts = Integer.parseInt(value);
                    if (rollouts < 1) {
                        throw new IllegalArgumentException("rollouts: " + rollouts + " (expected: >= 1)");
                    }
                    List<Map<String, String>> revisions = new ArrayList<>();
                    for (int r = 0; r <= rollouts; r++) {
                        revisions.add(Map.of());
                    }
                    builder.revisions(revisions);
                }
                case "--readiness-path" -> builder.readinessPath(value);
                case "--port-variable" -> builder.portVariable(value);
                case "--listen-pattern" -> builder.listenPattern(Pattern.compile(value));
                case "--instance-variable" -> builder.instanceVariable(value);
                case "--instance-header" -> builder.instanceHeader(value);
                case "--ready-file-variable" -> builder.readyFileVariable(value);
                case "--env" -> {
                    int equals = value.indexOf('=');
                    if (equals <= 0) {
                        throw new IllegalArgumentException("env: " + value + " (expected: NAME=VALUE)");
                    }
                    builder.environment(value.substring(0, equals), value.substring(equals + 1));
                }
                case "--request" -> requestList.add(value);
                case "--rate" -> builder.rate(Integer.parseInt(value));
                case "--connections" -> builder.connections(Integer.parseInt(value));
                case "--lag" -> builder.endpointLag(seconds(value));
                case "--grace" -> builder.terminationGracePeriod(seconds(value));
                case "--min-ready" -> builder.minReady(seconds(value));
                case "--work-dir" -> builder.workDirectory(Path.of(value));
                case "--haproxy" -> builder.haproxy(value);
                default -> throw new IllegalArgumentException("unknown option: " + option);
            }
        }
        if (i >= args.length - 1) {
            throw new IllegalArgumentException("missing: -- <command starting one replica>");
        }
        builder.requests(requestList);
        builder.command(Arrays.asList(args).subList(i + 1, args.length));
        return builder;
    }

    private static Duration seconds(String value) {
        return Duration.ofMillis(Math.round(Double.parseDouble(value) * 1000));
    }
}
