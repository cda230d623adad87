package dev.lifecycle.zerodowntime;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Builds a {@link RolloutHarness}. Only {@link #command(List)} is required; everything else has a default that suits
 * a service built with lifecycle. A built harness does not change when this builder is reused.
 */
public final class RolloutHarnessBuilder {

    List<String> command = List.of();
    Map<String, String> environment = new LinkedHashMap<>();
    List<Map<String, String>> revisions = new ArrayList<>(List.of(Map.of(), Map.of(), Map.of()));
    int replicas = 3;
    String readinessPath = "/health/ready";
    String portVariable = "PORT";
    Pattern listenPattern;
    String instanceVariable = "INSTANCE_ID";
    String instanceHeader = "X-Instance";
    String readyFileVariable;
    List<String> requests = List.of();
    int rate = 150;
    int connections = 32;
    Duration readTimeout = Duration.ofSeconds(5);
    Duration endpointLag = Duration.ofSeconds(1);
    Duration terminationGracePeriod = Duration.ofSeconds(10);
    Duration minReady = Duration.ofSeconds(1);
    Duration startTimeout = Duration.ofSeconds(60);
    Duration warmup = Duration.ofSeconds(1);
    Duration cooldown = Duration.ofSeconds(1);
    Duration checkInterval = Duration.ofSeconds(3);
    Path workDirectory;
    String haproxy = Haproxy.defaultBinary();
    String name = "rollout";
    DataPlane dataPlane = DataPlane.HAPROXY;
    Scenario scenario = Scenario.ROLLING_UPDATE;
    Set<Client> clients = EnumSet.noneOf(Client.class);
    Duration probePeriod = Duration.ofSeconds(1);
    Duration probeInitialDelay = Duration.ZERO;
    List<String> probeCommand = List.of();
    int podPort = 8080;
    int burstSize = 24;
    Duration burstPeriod = Duration.ofMillis(3500);
    int clientConnections = 8;
    int expectedExitCode = 143;
    int requestsPerConnection;
    boolean rawGenerator = true;
    Path http2ClientJava = Path.of(System.getProperty("java.home"), "bin", "java");
    Duration preStopDelay;
    int idleCloseRacesTolerated;

    RolloutHarnessBuilder() {
    }

    /**
     * The command line that starts one replica, run without a shell so that SIGTERM reaches the service itself, e.g.
     * {@code List.of("java", "-jar", "service.jar")}. Required.
     *
     * @throws IllegalArgumentException if it is empty
     */
    public RolloutHarnessBuilder command(List<String> command) {
        Objects.requireNonNull(command, "command cannot be null");
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command: [] (expected: a program and its arguments)");
        }
        command.forEach(part -> Objects.requireNonNull(part, "command part cannot be null"));
        this.command = List.copyOf(command);
        return this;
    }

    /**
     * A variable for every replica of every revision, on top of the harness's own environment. A {@code null} value
     * removes the variable. The default is none.
     */
    public RolloutHarnessBuilder environment(String name, String value) {
        Objects.requireNonNull(name, "name cannot be null");
        environment.put(name, value);
        return this;
    }

    /**
     * The revisions to deploy, each given by the variables it adds to {@link #environment(String, String)} (a
     * {@code null} value removes one): the first is deployed before the load starts, and each further one is rolled
     * out, replacing every replica. The default is three identical revisions: two rollouts.
     *
     * @throws IllegalArgumentException if fewer than two revisions are given
     */
    public RolloutHarnessBuilder revisions(List<Map<String, String>> revisions) {
        Objects.requireNonNull(revisions, "revisions cannot be null");
        if (revisions.size() < 2) {
            throw new IllegalArgumentException("revisions: " + revisions.size()
                    + " (expected: >= 2, the first deployment and at least one rollout)");
        }
        List<Map<String, String>> copy = new ArrayList<>();
        for (Map<String, String> revision : revisions) {
            Objects.requireNonNull(revision, "revision cannot be null");
            copy.add(Collections.unmodifiableMap(new LinkedHashMap<>(revision)));
        }
        this.revisions = copy;
        return this;
    }

    /**
     * The number of replicas; each rollout replaces them one at a time with maxSurge 1 and maxUnavailable 0.
     * The default is 3.
     *
     * @throws IllegalArgumentException if it is below 1
     */
    public RolloutHarnessBuilder replicas(int replicas) {
        if (replicas < 1) {
            throw new IllegalArgumentException("replicas: " + replicas + " (expected: >= 1)");
        }
        this.replicas = replicas;
        return this;
    }

    /**
     * The path HAProxy checks, as the readiness probe: a replica receives connections once it answers 200 there.
     * The default is {@code /health/ready}.
     *
     * @throws IllegalArgumentException if it does not start with {@code /} or contains white space
     */
    public RolloutHarnessBuilder readinessPath(String readinessPath) {
        Objects.requireNonNull(readinessPath, "readinessPath cannot be null");
        if (!readinessPath.startsWith("/") || readinessPath.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("readinessPath: " + readinessPath
                    + " (expected: an absolute path without white space)");
        }
        this.readinessPath = readinessPath;
        return this;
    }

    /**
     * The variable that tells a replica its port. The default is {@code PORT}. Without a
     * {@link #listenPattern(Pattern) listen pattern} the harness chooses a free port itself.
     */
    public RolloutHarnessBuilder portVariable(String portVariable) {
        this.portVariable = variable("portVariable", portVariable);
        return this;
    }

    /**
     * A pattern whose group 1 is the port in a line the replica prints once it listens; the replica is then given
     * port 0 and chooses its own. The default is none: the harness chooses a free port.
     *
     * @throws IllegalArgumentException if the pattern has no capturing group
     */
    public RolloutHarnessBuilder listenPattern(Pattern listenPattern) {
        if (listenPattern != null && listenPattern.matcher("").groupCount() < 1) {
            throw new IllegalArgumentException("listenPattern: " + listenPattern
                    + " (expected: a capturing group for the port)");
        }
        this.listenPattern = listenPattern;
        return this;
    }

    /** The variable that gives a replica its unique id. The default is {@code INSTANCE_ID}. */
    public RolloutHarnessBuilder instanceVariable(String instanceVariable) {
        this.instanceVariable = variable("instanceVariable", instanceVariable);
        return this;
    }

    /**
     * The response header in which a replica echoes its id, to attribute each request. The default is
     * {@code X-Instance}.
     */
    public RolloutHarnessBuilder instanceHeader(String instanceHeader) {
        Objects.requireNonNull(instanceHeader, "instanceHeader cannot be null");
        if (!instanceHeader.matches("[A-Za-z0-9-]+")) {
            throw new IllegalArgumentException("instanceHeader: " + instanceHeader
                    + " (expected: letters, digits and dashes)");
        }
        this.instanceHeader = instanceHeader;
        return this;
    }

    /**
     * The variable that tells a replica where to write its ready-file (lifecycle: {@code LIFECYCLE_READY_FILE}). When
     * set, the report checks that no replica answered a request before its ready-file appeared. The default is none.
     */
    public RolloutHarnessBuilder readyFileVariable(String readyFileVariable) {
        this.readyFileVariable = readyFileVariable == null ? null : variable("readyFileVariable", readyFileVariable);
        return this;
    }

    /**
     * The requests of the load, chosen uniformly, each {@code "METHOD /path"} or {@code "METHOD /path body"} (a JSON
     * body). The default, an empty list, is the example service's mix: reads, lists, creations and slow requests.
     *
     * @throws IllegalArgumentException if a request is malformed
     */
    public RolloutHarnessBuilder requests(List<String> requests) {
        Objects.requireNonNull(requests, "requests cannot be null");
        if (!requests.isEmpty()) {
            RequestMix.of(requests);
        }
        this.requests = List.copyOf(requests);
        return this;
    }

    /**
     * Requests per second, sent whether or not earlier ones have completed (an open loop). The default is 150.
     *
     * @throws IllegalArgumentException if it is not within 1..10000
     */
    public RolloutHarnessBuilder rate(int rate) {
        if (rate < 1 || rate > 10_000) {
            throw new IllegalArgumentException("rate: " + rate + " (expected: 1..10000)");
        }
        this.rate = rate;
        return this;
    }

    /**
     * The number of keep-alive connections the load is spread over. The default is 32.
     *
     * @throws IllegalArgumentException if it is not within 1..1000
     */
    public RolloutHarnessBuilder connections(int connections) {
        if (connections < 1 || connections > 1000) {
            throw new IllegalArgumentException("connections: " + connections + " (expected: 1..1000)");
        }
        this.connections = connections;
        return this;
    }

    /**
     * How long a request may wait for its response before it counts as {@link Outcome#READ_TIMEOUT}. The default is
     * 5 s.
     *
     * @throws IllegalArgumentException if it is not positive
     */
    public RolloutHarnessBuilder readTimeout(Duration readTimeout) {
        this.readTimeout = positive("readTimeout", readTimeout);
        return this;
    }

    /**
     * The lag L between SIGTERM to a replica and its removal from the load balancer, standing for the endpoint
     * propagation delay of Kubernetes. The default is 1 s.
     *
     * @throws IllegalArgumentException if it is negative
     */
    public RolloutHarnessBuilder endpointLag(Duration endpointLag) {
        this.endpointLag = notNegative("endpointLag", endpointLag);
        return this;
    }

    /**
     * The grace period G after SIGTERM, as {@code terminationGracePeriodSeconds}: a replica still running then is
     * SIGKILLed, which the report counts against zero downtime. The default is 10 s.
     *
     * @throws IllegalArgumentException if it is not positive
     */
    public RolloutHarnessBuilder terminationGracePeriod(Duration terminationGracePeriod) {
        this.terminationGracePeriod = positive("terminationGracePeriod", terminationGracePeriod);
        return this;
    }

    /**
     * How long a new replica must have been in rotation before the oldest one is terminated ({@code minReadySeconds}).
     * The default is 1 s.
     *
     * @throws IllegalArgumentException if it is negative
     */
    public RolloutHarnessBuilder minReady(Duration minReady) {
        this.minReady = notNegative("minReady", minReady);
        return this;
    }

    /**
     * How long a new replica may take to be put in rotation, start-up tasks included, before the run fails (as a
     * rollout's progress deadline). The default is 60 s.
     *
     * @throws IllegalArgumentException if it is not positive
     */
    public RolloutHarnessBuilder startTimeout(Duration startTimeout) {
        this.startTimeout = positive("startTimeout", startTimeout);
        return this;
    }

    /**
     * Load before the first rollout and after the last replica of the last rollout exited. The defaults are 1 s
     * each.
     *
     * @throws IllegalArgumentException if either is negative
     */
    public RolloutHarnessBuilder warmupAndCooldown(Duration warmup, Duration cooldown) {
        this.warmup = notNegative("warmup", warmup);
        this.cooldown = notNegative("cooldown", cooldown);
        return this;
    }

    /**
     * How often HAProxy checks a replica that just entered rotation, until the harness stops its checks (at once: from
     * then on only the endpoint lag removes a replica, never its own readiness flip). The default is 3 s.
     *
     * @throws IllegalArgumentException if it is below 100 ms
     */
    public RolloutHarnessBuilder checkInterval(Duration checkInterval) {
        Objects.requireNonNull(checkInterval, "checkInterval cannot be null");
        if (checkInterval.compareTo(Duration.ofMillis(100)) < 0) {
            throw new IllegalArgumentException("checkInterval: " + checkInterval + " (expected: >= PT0.1S)");
        }
        this.checkInterval = checkInterval;
        return this;
    }

    /**
     * Where the HAProxy configuration, the replicas' logs, the per-request CSV ({@code requests.csv}) and the summary
     * go. The default is a new temporary directory.
     */
    public RolloutHarnessBuilder workDirectory(Path workDirectory) {
        this.workDirectory = Objects.requireNonNull(workDirectory, "workDirectory cannot be null");
        return this;
    }

    /** The HAProxy executable. The default is {@code haproxy} on the {@code PATH}, else {@code /usr/sbin/haproxy}. */
    public RolloutHarnessBuilder haproxy(String haproxy) {
        this.haproxy = Objects.requireNonNull(haproxy, "haproxy cannot be null");
        return this;
    }

    /**
     * What stands between the clients and the replicas. The default is {@link DataPlane#HAPROXY}; the others need
     * root and a ready-file ({@link #readyFileVariable(String)}), which the kubelet's exec probe reads.
     */
    public RolloutHarnessBuilder dataPlane(DataPlane dataPlane) {
        this.dataPlane = Objects.requireNonNull(dataPlane, "dataPlane cannot be null");
        return this;
    }

    /** What happens to the replicas. The default is {@link Scenario#ROLLING_UPDATE}. */
    public RolloutHarnessBuilder scenario(Scenario scenario) {
        this.scenario = Objects.requireNonNull(scenario, "scenario cannot be null");
        return this;
    }

    /**
     * Real clients that run beside the raw generator, each in a process of its own (in the node namespace when the
     * data plane has one). The default is none.
     */
    public RolloutHarnessBuilder clients(Client... clients) {
        Objects.requireNonNull(clients, "clients cannot be null");
        Set<Client> set = EnumSet.noneOf(Client.class);
        for (Client client : clients) {
            set.add(Objects.requireNonNull(client, "client cannot be null"));
        }
        this.clients = set;
        return this;
    }

    /**
     * The kubelet's readiness probe: the ready-file is checked {@code initialDelay} after a container starts, then
     * every {@code period} ({@code initialDelaySeconds}, {@code periodSeconds}); a pod enters the endpoints when it
     * passes. Used by the data planes with pods. The defaults are 0 and 1 s.
     *
     * @throws IllegalArgumentException if the period is not positive or the delay is negative
     */
    public RolloutHarnessBuilder readinessProbe(Duration initialDelay, Duration period) {
        this.probeInitialDelay = notNegative("probeInitialDelay", initialDelay);
        this.probePeriod = positive("probePeriod", period);
        return this;
    }

    /**
     * The kubelet's exec readiness probe: a command run in the pod's network namespace, where {@code {readyFile}}
     * stands for the pod's ready-file; exit status 0 passes (bounded by 3 s, {@code timeoutSeconds}). The default,
     * an empty list, passes while the ready-file exists ({@code cat <ready-file>}). lifecycle's own probe
     * ({@code ReadyFile.probeCommand}) also rejects a file left by a killed process.
     *
     * @throws IllegalArgumentException if the command does not mention {@code {readyFile}}
     */
    public RolloutHarnessBuilder readinessProbeCommand(List<String> command) {
        Objects.requireNonNull(command, "command cannot be null");
        if (!command.isEmpty() && command.stream().noneMatch(part -> part.contains("{readyFile}"))) {
            throw new IllegalArgumentException("readinessProbeCommand: " + command
                    + " (expected: a command that reads {readyFile})");
        }
        this.probeCommand = List.copyOf(command);
        return this;
    }

    /**
     * The pooled clients' schedule ({@link Client#JDK}, {@link Client#APACHE}): {@code size} requests due at once
     * every {@code period}, over at most {@code connections} connections, so that pooled connections sit idle
     * between bursts; make the period longer than the pre-stop delay to keep connections idle across it. The defaults
     * are 24 requests every 3.5 s over 8 connections.
     *
     * @throws IllegalArgumentException if a value is out of range
     */
    public RolloutHarnessBuilder bursts(int size, Duration period, int connections) {
        if (size < 1 || size > 10_000) {
            throw new IllegalArgumentException("burstSize: " + size + " (expected: 1..10000)");
        }
        if (connections < 1 || connections > 1000) {
            throw new IllegalArgumentException("clientConnections: " + connections + " (expected: 1..1000)");
        }
        this.burstPeriod = positive("burstPeriod", period);
        this.burstSize = size;
        this.clientConnections = connections;
        return this;
    }

    /**
     * The raw generator closes a connection after {@code n} responses and opens a new one, as clients that come and
     * go would; new connections are what an endpoint left to a stopped replica refuses. The default, 0, keeps
     * connections for good.
     *
     * @throws IllegalArgumentException if it is negative
     */
    public RolloutHarnessBuilder requestsPerConnection(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("requestsPerConnection: " + n + " (expected: >= 0)");
        }
        this.requestsPerConnection = n;
        return this;
    }

    /**
     * The exit status every terminated replica must have after SIGTERM. The default is 143 (128 + 15), the status of
     * a JVM ended by SIGTERM.
     */
    public RolloutHarnessBuilder expectedExitCode(int expectedExitCode) {
        if (expectedExitCode < 0 || expectedExitCode > 255) {
            throw new IllegalArgumentException("expectedExitCode: " + expectedExitCode + " (expected: 0..255)");
        }
        this.expectedExitCode = expectedExitCode;
        return this;
    }

    /**
     * Whether the raw HTTP/1.1 generator runs. Turn it off for a service that does not speak HTTP/1.1 (gRPC, with
     * {@link Client#GRPC}): then the clients are the whole load, and a replica that entered after the last
     * {@code GOAWAY} may serve nothing (clients stay on the pods their connections reached), which the summary says
     * and does not count; a terminated replica must still have served in its lag window. The default is true.
     */
    public RolloutHarnessBuilder rawGenerator(boolean rawGenerator) {
        this.rawGenerator = rawGenerator;
        return this;
    }

    /**
     * The {@code java} executable that runs {@link Client#JDK_HTTP2}, e.g. a JDK 24 or later's: before JDK 24 the
     * JDK's HTTP/2 client fails the requests it has in flight when a {@code GOAWAY} arrives (JDK-8335181). The default
     * is the harness's own.
     *
     * @throws IllegalArgumentException if it is not an executable file
     */
    public RolloutHarnessBuilder http2ClientJava(Path java) {
        Objects.requireNonNull(java, "java cannot be null");
        if (!java.toFile().isFile() || !java.toFile().canExecute()) {
            throw new IllegalArgumentException("http2ClientJava: " + java + " (expected: an executable java)");
        }
        this.http2ClientJava = java;
        return this;
    }

    /**
     * The pre-stop delay the replicas wait after SIGTERM before their drain begins (lifecycle:
     * {@code LIFECYCLE_PRESTOP_DELAY}; the harness does not read the replicas' configuration). With it the report
     * places each terminated replica's drain begin on the run's timeline and reports the failures of the pooled
     * HTTP/1.1 clients sent close to it as {@linkplain RolloutReport#idleCloseRaces() idle-close races}. The default
     * is none: no failure is classified.
     *
     * @throws IllegalArgumentException if it is negative
     */
    public RolloutHarnessBuilder preStopDelay(Duration preStopDelay) {
        this.preStopDelay = notNegative("preStopDelay", preStopDelay);
        return this;
    }

    /**
     * Leaves up to {@code maxPerTerminatedReplica} {@linkplain RolloutReport#idleCloseRaces() idle-close races} per
     * terminated replica out of {@link RolloutReport#violations()}: failures of the JDK's or Apache's HttpClient
     * (HTTP/1.1) with no byte of a response, sent from 100 ms before to 400 ms after a replica's drain begin. HTTP/1.1
     * cannot close an idle keep-alive connection without that race, and these clients do not retry a POST; the
     * summary still lists every one, and a replica with more than the bound is a violation. Needs
     * {@link #preStopDelay(Duration)}. The default is 0: every idle-close race is a violation like any failure.
     *
     * @throws IllegalArgumentException if it is not within 0..100
     */
    public RolloutHarnessBuilder tolerateIdleCloseRaces(int maxPerTerminatedReplica) {
        if (maxPerTerminatedReplica < 0 || maxPerTerminatedReplica > 100) {
            throw new IllegalArgumentException("tolerateIdleCloseRaces: " + maxPerTerminatedReplica
                    + " (expected: 0..100)");
        }
        this.idleCloseRacesTolerated = maxPerTerminatedReplica;
        return this;
    }

    /** A name for the run in the summary. The default is {@code rollout}. */
    public RolloutHarnessBuilder name(String name) {
        this.name = Objects.requireNonNull(name, "name cannot be null");
        return this;
    }

    /**
     * Builds the harness.
     *
     * @throws IllegalStateException if no command was given, a data plane with pods has no ready-file for the
     *         kubelet's probe, the raw generator is off with no client, {@link Client#GRPC} is asked for on
     *         another data plane than {@link DataPlane#KUBE_PROXY}, or idle-close races are tolerated without a
     *         pre-stop delay
     */
    public RolloutHarness build() {
        if (command.isEmpty()) {
            throw new IllegalStateException("command not set: call command(List) before build()");
        }
        if (dataPlane != DataPlane.HAPROXY && readyFileVariable == null) {
            throw new IllegalStateException("readyFileVariable not set: the data plane " + dataPlane
                    + " probes readiness with the ready-file, as an exec probe would");
        }
        if (dataPlane != DataPlane.HAPROXY && listenPattern != null) {
            throw new IllegalStateException("listenPattern: " + listenPattern + " (expected: none with the data plane "
                    + dataPlane + ": every pod listens on port " + podPort + ")");
        }
        if (!rawGenerator && clients.isEmpty()) {
            throw new IllegalStateException("rawGenerator: false with no client (expected: at least one client, the "
                    + "whole load)");
        }
        if (clients.contains(Client.GRPC) && dataPlane != DataPlane.KUBE_PROXY) {
            throw new IllegalStateException("clients: " + clients + " (expected: the data plane KUBE_PROXY for "
                    + "GRPC, not " + dataPlane + ": HAProxy's check and nginx speak HTTP/1.1)");
        }
        if (idleCloseRacesTolerated > 0 && preStopDelay == null) {
            throw new IllegalStateException("tolerateIdleCloseRaces: " + idleCloseRacesTolerated + " without a "
                    + "pre-stop delay (expected: preStopDelay(Duration), which places each replica's drain begin)");
        }
        return new RolloutHarness(this);
    }

    private static String variable(String setting, String value) {
        Objects.requireNonNull(value, setting + " cannot be null");
        if (!value.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException(setting + ": " + value + " (expected: an environment variable name)");
        }
        return value;
    }

    private static Duration positive(String setting, Duration value) {
        Objects.requireNonNull(value, setting + " cannot be null");
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(setting + ": " + value + " (expected: > 0)");
        }
        return value;
    }

    private static Duration notNegative(String setting, Duration value) {
        Objects.requireNonNull(value, setting + " cannot be null");
        if (value.isNegative()) {
            throw new IllegalArgumentException(setting + ": " + value + " (expected: >= 0)");
        }
        return value;
    }
}
