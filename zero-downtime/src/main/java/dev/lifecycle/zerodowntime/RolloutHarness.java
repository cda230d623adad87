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
import java.util.concurrent.ExecutionException;
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
 * <p>One {@link #run()}: set up the {@link DataPlane} (a real HAProxy, or kube-proxy's iptables rules with pods as
 * network namespaces, optionally behind nginx); deploy the first revision; start an open-loop load on raw keep-alive
 * connections that never retries, and the real {@link Client}s asked for; then play the {@link Scenario}: by default
 * roll out each further revision with maxSurge 1 and maxUnavailable 0: start a new replica, wait until it is an
 * endpoint (HAProxy's check or the kubelet's probe passed), hold {@code minReady}, and terminate the oldest one by
 * sending SIGTERM to its process at T and removing its endpoint at T + {@code endpointLag}, as the endpoint controller
 * would, SIGKILLing it if it still runs at T + {@code terminationGracePeriod}. Every request is logged to
 * {@code requests.csv}; the {@link RolloutReport} says whether the run was free of downtime.
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
    private final DataPlane dataPlane;
    private final Scenario scenario;
    private final List<Client> clients;
    private final Duration probePeriod;
    private final Duration probeInitialDelay;
    private final List<String> probeCommand;
    private final int podPort;
    private final int burstSize;
    private final Duration burstPeriod;
    private final int clientConnections;
    private final int expectedExitCode;
    private final int requestsPerConnection;
    private final boolean rawGenerator;
    private final Path http2ClientJava;
    private final Duration preStopDelay;
    private final int idleCloseRacesTolerated;

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
        dataPlane = b.dataPlane;
        scenario = b.scenario;
        clients = List.copyOf(b.clients);
        probePeriod = b.probePeriod;
        probeInitialDelay = b.probeInitialDelay;
        probeCommand = b.probeCommand;
        podPort = b.podPort;
        burstSize = b.burstSize;
        burstPeriod = b.burstPeriod;
        clientConnections = b.clientConnections;
        expectedExitCode = b.expectedExitCode;
        requestsPerConnection = b.requestsPerConnection;
        rawGenerator = b.rawGenerator;
        http2ClientJava = b.http2ClientJava;
        preStopDelay = b.preStopDelay;
        idleCloseRacesTolerated = b.idleCloseRacesTolerated;
    }

    /** A builder; only the command is required. */
    public static RolloutHarnessBuilder builder() {
        return new RolloutHarnessBuilder();
    }

    /**
     * Runs the whole scenario and returns its report; the per-request log is in the report's
     * {@link RolloutReport#requestLog()}. Every process and network namespace it created is gone when it returns or
     * throws.
     *
     * @throws IOException if the data plane, a client or a replica cannot be started, or a replica is not an endpoint
     *         within the start timeout: the run could not proceed, which says nothing about downtime
     */
    public RolloutReport run() throws IOException, InterruptedException {
        Timeline timeline = new Timeline();
        Path directory = workDirectory != null ? workDirectory : Files.createTempDirectory("rollout-");
        Files.createDirectories(directory);
        long runStarted = System.nanoTime();
        Run run = new Run(timeline, directory);
        try {
            run.setUp();
            long phase = System.nanoTime();
            List<Replica> first = new ArrayList<>();
            for (int i = 0; i < replicas; i++) {
                first.add(run.launch(0, run.nextSlot()));
            }
            for (Replica replica : first) {
                run.admit(replica);
                run.serving.addLast(replica);
            }
            logger.info("{}: revision 0 deployed, {} replicas are endpoints in {} ms", name, replicas,
                    millisSince(phase));
            run.startClients();
            pause(warmup);
            phase = System.nanoTime();
            switch (scenario) {
                case ROLLING_UPDATE -> {
                    for (int revision = 1; revision < revisions.size(); revision++) {
                        for (int i = 0; i < replicas; i++) {
                            Replica fresh = run.launch(revision, run.nextSlot());
                            run.admit(fresh);
                            pause(minReady);
                            run.terminate(run.serving.removeFirst());
                            run.serving.addLast(fresh);
                        }
                        logger.info("{}: revision {} rolled out in {} ms", name, revision, millisSince(phase));
                    }
                }
                case SCALE_DOWN -> run.terminate(run.serving.removeFirst());
                case NODE_DRAIN -> {
                    List<Replica> fresh = new ArrayList<>();
                    int evicted = Math.max(1, replicas - 1);
                    // every eviction first, at one moment; starting a JVM can take seconds on a busy machine
                    for (int i = 0; i < evicted; i++) {
                        run.terminate(run.serving.removeFirst());
                    }
                    for (int i = 0; i < evicted; i++) {
                        fresh.add(run.launch(Math.min(1, revisions.size() - 1), run.nextSlot()));
                    }
                    for (Replica replica : fresh) {
                        run.admit(replica);
                        run.serving.addLast(replica);
                    }
                }
                case CONTAINER_RESTART -> {
                    Replica crashed = run.serving.removeFirst();
                    run.crash(crashed);
                    // The kubelet restarts a container once it has seen it dead: until the process is reaped, its
                    // /proc entry still names it, and a probe that checks the ready-file's writer would pass.
                    try {
                        crashed.onExit().get(terminationGracePeriod.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (ExecutionException | TimeoutException e) {
                        throw new IOException("replica " + crashed.id + " still running after SIGKILL", e);
                    }
                    Replica restarted = run.launch(crashed.revision, crashed.slot);
                    run.admit(restarted);
                    run.serving.addLast(restarted);
                }
            }
            logger.info("{}: scenario {} done in {} ms", name, scenario, millisSince(phase));
            awaitAll(run.terminations, terminationGracePeriod.plus(endpointLag).plusSeconds(10));
            pause(cooldown);
            run.stopClients();
        } finally {
            run.close();
        }
        RolloutReport report = new RolloutReport(name, rate, run.loadStartedAt, run.loadStoppedAt, run.results, run.all,
                readyFileVariable != null, terminationGracePeriod, endpointLag, expectedExitCode,
                directory.resolve("requests.csv"));
        report.idleCloseRaces(preStopDelay, idleCloseRacesTolerated);
        if (dataPlane == DataPlane.NGINX) {
            // nginx keeps its upstream keep-alive connections on the pods it already had (the Service address is
            // its one upstream): a pod that enters once the pool is warm may get nothing until connections turn over.
            report.exemptIdleNewReplicas("nginx reuses its upstream keep-alive connections to the pods it had");
        } else if (!rawGenerator) {
            // Only the clients' long-lived connections (gRPC channels): each stays on its pod until a GOAWAY moves it.
            report.exemptIdleNewReplicas("the clients' connections stay on the pods they reached until a GOAWAY "
                    + "moves them");
        }
        report.writeRequestLog();
        Files.writeString(directory.resolve("summary.txt"), report.summaryTable(), StandardCharsets.UTF_8);
        logger.info("{}: done in {} ms, {} requests, {} failed; log {}", name, millisSince(runStarted),
                report.requests(), report.failures(), report.requestLog());
        return report;
    }

    /** The state of one run: its data plane, replicas, clients and timers; {@link #close()} undoes everything. */
    private final class Run implements AutoCloseable {
        final Timeline timeline;
        final Path directory;
        final List<Replica> all = new ArrayList<>();
        final Deque<Replica> serving = new ArrayDeque<>();
        final List<CompletableFuture<Void>> terminations = new ArrayList<>();
        final List<ClientRecords> results = new ArrayList<>();
        final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "rollout-timer");
            thread.setDaemon(true);
            return thread;
        });
        Haproxy balancer;
        KubeProxy kube;
        Nginx nginx;
        LoadGenerator load;
        final List<ExternalClient> external = new ArrayList<>();
        boolean clientsStopped;
        double loadStartedAt = Double.NaN;
        double loadStoppedAt = Double.NaN;
        int slots;

        Run(Timeline timeline, Path directory) {
            this.timeline = timeline;
            this.directory = directory;
        }

        int slotsNeeded() {
            return switch (scenario) {
                case ROLLING_UPDATE -> replicas * revisions.size();
                case NODE_DRAIN -> replicas + Math.max(1, replicas - 1);
                case SCALE_DOWN, CONTAINER_RESTART -> replicas;
            };
        }

        void setUp() throws IOException, InterruptedException {
            if (dataPlane == DataPlane.HAPROXY) {
                balancer = Haproxy.start(haproxy, directory.resolve("haproxy"), readinessPath, slotsNeeded(),
                        checkInterval, 3);
            } else {
                String missing = KubeProxy.missingPrerequisite();
                if (missing != null) {
                    throw new IOException("data plane " + dataPlane + ": " + missing);
                }
                kube = KubeProxy.create(slotsNeeded(), podPort);
                if (dataPlane == DataPlane.NGINX) {
                    nginx = Nginx.start(kube, directory.resolve("nginx"), readTimeout);
                }
            }
        }

        int nextSlot() {
            return ++slots;
        }

        Replica launch(int revision, int slot) throws IOException {
            Map<String, String> env = new LinkedHashMap<>(environment);
            env.putAll(revisions.get(revision));
            long sameSlot = all.stream().filter(r -> r.slot == slot).count();
            String id = "r" + revision + "-" + slot + (sameSlot == 0 ? "" : "." + sameSlot);
            Replica replica;
            if (kube == null) {
                replica = Replica.start(id, revision, slot, List.of(), command, env, portVariable, 0, listenPattern,
                        instanceVariable, readyFileVariable, directory.resolve("replicas").resolve(id + ".ready"),
                        null, directory.resolve("replicas"), timeline);
            } else {
                // The pod's volume: a restarted container finds what the killed one left there.
                Path volume = directory.resolve("pods").resolve("p" + slot).toAbsolutePath();
                Files.createDirectories(volume);
                replica = Replica.start(id, revision, slot, kube.inPod(slot, List.of()), command, env, portVariable,
                        podPort, null, instanceVariable, readyFileVariable, volume.resolve("ready"), volume,
                        directory.resolve("replicas").toAbsolutePath(), timeline);
            }
            all.add(replica);
            return replica;
        }

        /** Waits until the replica is an endpoint: HAProxy's check passed, or the kubelet's probe did. */
        void admit(Replica replica) throws IOException, InterruptedException {
            if (kube == null) {
                awaitInRotation(replica, balancer, timeline);
                balancer.holdInRotation(replica.slot);
                return;
            }
            CompletableFuture<Void> admitted = new CompletableFuture<>();
            ScheduledFuture<?> probe = timers.scheduleAtFixedRate(() -> {
                if (admitted.isDone()) {
                    return;
                }
                try {
                    if (probe(replica)) {
                        // the file's time tells whether this process wrote it
                        replica.readyAt = timeline.at(Files.getLastModifiedTime(replica.readyFile));
                        kube.addEndpoint(replica.slot);
                        replica.upAt = timeline.now();
                        admitted.complete(null);
                    } else if (!replica.isAlive()) {
                        admitted.completeExceptionally(new IOException("replica " + replica.id + " exited with "
                                + replica.exitValue() + " before it was ready; see " + replica.log));
                    }
                } catch (IOException | RuntimeException e) {
                    admitted.completeExceptionally(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    admitted.completeExceptionally(e);
                }
            }, probeInitialDelay.toNanos(), probePeriod.toNanos(), TimeUnit.NANOSECONDS);
            try {
                admitted.get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw new IOException(e.getCause().getMessage(), e.getCause());
            } catch (TimeoutException e) {
                throw new IOException("replica " + replica.id + " not ready within " + startTimeout + "; see "
                        + replica.log, e);
            } finally {
                probe.cancel(false);
            }
        }

        /** One run of the kubelet's exec probe. */
        private boolean probe(Replica replica) throws IOException, InterruptedException {
            if (probeCommand.isEmpty()) {
                return Files.exists(replica.readyFile);
            }
            List<String> command = new ArrayList<>();
            for (String part : probeCommand) {
                command.add(part.replace("{readyFile}", replica.readyFile.toString()));
            }
            Process process = new ProcessBuilder(kube.inPod(replica.slot, command))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(3, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return false;
            }
            return process.exitValue() == 0;
        }

        void removeEndpoint(Replica replica) throws IOException, InterruptedException {
            if (kube == null) {
                balancer.remove(replica.slot);
            } else {
                kube.removeEndpoint(replica.slot);
            }
            replica.removedAt = timeline.now();
        }

        /** SIGTERM now, endpoint removal after the lag, SIGKILL after the grace period. */
        void terminate(Replica replica) {
            replica.terminatedByRollout = true;
            replica.sigtermAt = timeline.now();
            replica.terminate();
            terminations.add(afterLagAndExit(replica, true));
        }

        /** SIGKILL now (a crash); the kubelet sees the container die and the endpoint goes after the lag. */
        void crash(Replica replica) {
            replica.terminatedByRollout = true;
            replica.crashed = true;
            replica.sigtermAt = timeline.now();
            replica.kill();
            terminations.add(afterLagAndExit(replica, false));
        }

        private CompletableFuture<Void> afterLagAndExit(Replica replica, boolean killAfterGrace) {
            CompletableFuture<Void> removed = new CompletableFuture<>();
            timers.schedule(() -> {
                try {
                    removeEndpoint(replica);
                    removed.complete(null);
                } catch (IOException | RuntimeException e) {
                    removed.completeExceptionally(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    removed.completeExceptionally(e);
                }
            }, endpointLag.toNanos(), TimeUnit.NANOSECONDS);
            ScheduledFuture<?> kill = !killAfterGrace ? null : timers.schedule(() -> {
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
                if (kill != null) {
                    kill.cancel(false);
                }
            });
            return CompletableFuture.allOf(removed, exited);
        }

        void startClients() throws IOException, InterruptedException {
            String host;
            int port;
            List<String> prefix;
            if (kube == null) {
                host = balancer.frontend().getHostString();
                port = balancer.frontend().getPort();
                prefix = List.of();
            } else {
                host = nginx != null ? Nginx.address().getHostString() : KubeProxy.SERVICE_ADDRESS;
                port = nginx != null ? Nginx.PORT : KubeProxy.SERVICE_PORT;
                prefix = kube.inNode(List.of());
            }
            Path clientsDirectory = directory.resolve("clients");
            if (!rawGenerator) {
                logger.info("{}: the raw HTTP/1.1 generator is off; the load is {}", name, clients);
            } else if (kube == null) {
                RequestMix mix = requests.isEmpty() ? RequestMix.exampleService() : RequestMix.of(requests);
                load = new LoadGenerator(balancer.frontend(), rate, connections, Duration.ofSeconds(2), readTimeout,
                        mix, instanceHeader, timeline).requestsPerConnection(requestsPerConnection);
                load.start();
            } else {
                external.add(ExternalClient.java("raw", prefix, host, port, rate, connections, requestsPerConnection,
                        0, burstPeriod,
                        readTimeout, requests, instanceHeader, timeline, clientsDirectory));
            }
            for (Client client : clients) {
                switch (client) {
                    case JDK, APACHE -> external.add(ExternalClient.java(client == Client.JDK ? "jdk" : "apache",
                            prefix, host, port, rate, clientConnections, 0, burstSize, burstPeriod, readTimeout,
                            requests, instanceHeader, timeline, clientsDirectory));
                    case JDK_HTTP2 -> external.add(ExternalClient.java(http2ClientJava, "jdk-http2", prefix, host,
                            port, rate, clientConnections, 0, 0, burstPeriod, readTimeout, requests, instanceHeader,
                            timeline, clientsDirectory));
                    case GRPC -> external.add(ExternalClient.java("grpc", prefix, host, port, rate, connections, 0,
                            0, burstPeriod, readTimeout, List.of(), instanceHeader, timeline, clientsDirectory));
                    case HEY -> external.add(ExternalClient.hey(prefix, "http://" + host + ':' + port + heyPath(),
                            4, 1000.0 / burstPeriod.toMillis(), heyBody(), readTimeout, Duration.ofMinutes(30),
                            clientsDirectory));
                }
            }
            // JVMs starting on a busy machine: started together, each given a generous bound, never a fixed sleep.
            for (ExternalClient client : external) {
                client.awaitStarted(Duration.ofSeconds(120));
            }
            loadStartedAt = timeline.now();
        }

        void stopClients() throws IOException, InterruptedException {
            clientsStopped = true;
            // A client gives its requests readTimeout + 5 s to finish, then writes its records; on a busy machine a
            // JVM needs time for that too. Bounded, never a speed target.
            Duration bound = readTimeout.multipliedBy(2).plusSeconds(60);
            IOException failure = null;
            if (load != null) {
                load.stop(readTimeout.plusSeconds(5));
                results.add(ClientRecords.of("raw", load));
                loadStartedAt = load.startedAt();
                loadStoppedAt = load.stoppedAt();
            } else {
                loadStoppedAt = timeline.now();
            }
            for (ExternalClient client : external) {
                try {
                    results.add(client.stop(bound));
                } catch (IOException e) {
                    client.kill();
                    failure = failure == null ? e : failure;
                }
            }
            if (failure != null) {
                throw failure;
            }
        }

        @Override
        public void close() throws InterruptedException {
            try {
                if (!clientsStopped) {
                    if (load != null) {
                        load.stop(Duration.ofSeconds(1));
                    }
                    external.forEach(ExternalClient::kill);
                }
            } finally {
                try {
                    stopAll(all);
                } finally {
                    if (nginx != null) {
                        nginx.close();
                    }
                    if (balancer != null) {
                        balancer.close();
                    }
                    if (kube != null) {
                        kube.close();
                    }
                    timers.shutdownNow();
                }
            }
        }
    }

    /** hey's requests: the first POST of the request list, else the example service's creation. */
    private String heyPath() {
        return requests.stream().filter(r -> r.startsWith("POST ")).findFirst()
                .map(r -> r.split("\\s+", 3)[1]).orElse("/users");
    }

    private String heyBody() {
        return requests.stream().filter(r -> r.startsWith("POST ")).findFirst()
                .map(r -> r.split("\\s+", 3)).filter(parts -> parts.length == 3).map(parts -> parts[2])
                .orElse("{\"name\":\"hey\",\"email\":\"hey@example.test\"}");
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
     * After the load (or a failed run): the replicas the rollout did not terminate stop gracefully (their exit status
     * is judged like the others'), and nothing started by the run survives it.
     */
    private void stopAll(List<Replica> all) throws InterruptedException {
        all.stream().filter(replica -> !replica.terminatedByRollout).forEach(Replica::terminate);
        long deadline = System.nanoTime() + terminationGracePeriod.toNanos();
        for (Replica replica : all) {
            try {
                Process process = replica.onExit().get(Math.max(1, (deadline - System.nanoTime()) / 1_000_000),
                        TimeUnit.MILLISECONDS);
                if (!replica.terminatedByRollout) {
                    replica.exitCode = process.exitValue();
                }
            } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
                logger.warn("{}: replica {} still running at the end; SIGKILL", name, replica.id);
                replica.killed = true;
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
                "  --haproxy PATH            haproxy executable (haproxy on the PATH, else /usr/sbin/haproxy)",
                "  --data-plane NAME         haproxy, kube-proxy or nginx (haproxy; the others need root and a",
                "                            ready-file variable: the kubelet's exec probe reads the ready-file)",
                "  --scenario NAME           rolling-update, scale-down, node-drain or container-restart",
                "                            (rolling-update)",
                "  --client NAME             jdk, jdk-http2, apache, hey or grpc beside the raw generator",
                "                            (repeatable; none)",
                "  --raw-generator on|off    the raw HTTP/1.1 generator (on; off for a gRPC service, with",
                "                            --client grpc --data-plane kube-proxy)",
                "  --http2-client-java PATH  java running the jdk-http2 client (this one; JDK 24+ advised)",
                "  --pre-stop-delay SECONDS  the replicas' pre-stop delay, to classify idle-close races (none)",
                "  --tolerate-idle-close-races N  idle-close races per terminated replica left out of the verdict",
                "                            (0; needs --pre-stop-delay)");
    }

    static RolloutHarnessBuilder parse(String[] args) {
        RolloutHarnessBuilder builder = builder();
        List<String> requestList = new ArrayList<>();
        List<Client> clientList = new ArrayList<>();
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
                case "--data-plane" -> builder.dataPlane(DataPlane.valueOf(constant("data-plane", value,
                        DataPlane.values())));
                case "--scenario" -> builder.scenario(Scenario.valueOf(constant("scenario", value,
                        Scenario.values())));
                case "--client" -> {
                    clientList.add(Client.valueOf(constant("client", value, Client.values())));
                    builder.clients(clientList.toArray(Client[]::new));
                }
                case "--raw-generator" -> {
                    if (!value.equals("on") && !value.equals("off")) {
                        throw new IllegalArgumentException("raw-generator: " + value + " (expected: on or off)");
                    }
                    builder.rawGenerator(value.equals("on"));
                }
                case "--http2-client-java" -> builder.http2ClientJava(Path.of(value));
                case "--pre-stop-delay" -> builder.preStopDelay(seconds(value));
                case "--tolerate-idle-close-races" -> builder.tolerateIdleCloseRaces(Integer.parseInt(value));
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

    /** {@code kube-proxy} to {@code KUBE_PROXY}, or a usage error listing what is accepted. */
    private static String constant(String option, String value, Enum<?>[] accepted) {
        String name = value.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        for (Enum<?> constant : accepted) {
            if (constant.name().equals(name)) {
                return name;
            }
        }
        List<String> names = new ArrayList<>();
        for (Enum<?> constant : accepted) {
            names.add(constant.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        }
        throw new IllegalArgumentException(option + ": " + value + " (expected: one of " + names + ")");
    }

    private static Duration seconds(String value) {
        return Duration.ofMillis(Math.round(Double.parseDouble(value) * 1000));
    }
}
