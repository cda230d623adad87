package dev.lifecycle.zerodowntime;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What one {@link RolloutHarness#run()} saw: every client's requests and outcomes, latencies, and per replica when it
 * became ready, received SIGTERM, left the load balancer and exited, and which requests it served meanwhile.
 *
 * <p>{@link #violations()} checks the zero-downtime promise, every rule for every client:
 * <ul>
 *   <li>no failed request;</li>
 *   <li>no request vanished: each request a client scheduled is recorded exactly once (a worker that died or was still
 *       busy at the end would otherwise lose its requests silently);</li>
 *   <li>every client sent requests, and every replica served some;</li>
 *   <li>no replica answered before its ready-file appeared (when one is configured);</li>
 *   <li>every terminated replica served requests sent between its SIGTERM and its removal from the endpoints (so the
 *       endpoint lag was really exercised), was removed, exited by itself within the grace period, and with the
 *       expected status (143 after SIGTERM); the replicas stopped once the load is over exit with it too;</li>
 *   <li>a restarted container entered the endpoints only after its own process wrote the ready-file, never on the
 *       stale one of the process that was killed.</li>
 * </ul>
 * Reconnects (a keep-alive connection the server closed while idle, before the next request was written) are not
 * failures; they are reported per client and reason.
 *
 * <p>Failures of the pooled HTTP/1.1 clients that got no response byte and were sent close to a replica's drain begin
 * are reported apart as {@linkplain #idleCloseRaces() idle-close races}: HTTP/1.1 cannot close an idle keep-alive
 * connection without that race. They are violations like any failure unless the harness was told to tolerate a bound
 * of them ({@link RolloutHarnessBuilder#tolerateIdleCloseRaces(int)}).
 */
public final class RolloutReport {

    /** Slack when comparing a ready-file's wall-clock time with the monotonic timeline. */
    private static final double CLOCK_SLACK_MILLIS = 5;

    /**
     * After a crashed replica left the endpoints, how long failures are still the crash's: a request routed to it just
     * before the removal fails when its connection attempt or its read ends.
     */
    static final double CRASH_SETTLE_MILLIS = 1000;

    /**
     * How long before a replica's drain begin (its SIGTERM plus the pre-stop delay) a pooled client's failed request
     * may have been sent and still be an idle-close race: a pooled client's send time is taken before it leases a
     * connection and writes (12 ms before the write in the CI failure this rule was made for), and the race itself
     * starts before the drain begins (a request the server has not read yet looks idle; BENCHMARKS.md section 7).
     */
    static final double RACE_WINDOW_BEFORE_MILLIS = 100;

    /**
     * How long after a replica's drain begin a pooled client's failed request may have been sent and still be an
     * idle-close race: the servlet containers close idle connections in a loop that took 200-370 ms for 300
     * connections on the loaded 2-core machine, every failure inside it (BENCHMARKS.md section 7), and the replica's
     * own drain begins after SIGTERM plus the pre-stop delay (signal handling on a busy machine: 26 to 204 ms later in
     * a kube-proxy rollout at load 10, from the replicas' "Drain began" log lines mapped onto the timeline).
     */
    static final double RACE_WINDOW_AFTER_MILLIS = 400;

    /**
     * The clients that reuse pooled HTTP/1.1 connections with no check of their own just before writing. The raw
     * generator is not one: it reads each idle connection without blocking just before writing on it and reconnects
     * when the server closed it, so only the server's half of the race is left to it (its request arrived and was not
     * read yet when the server closed the connection it saw idle, a window under a millisecond); its failures stay
     * violations so that it remains the strict witness. hey reports counts, not requests with their times, and HTTP/2
     * and gRPC clients are moved by GOAWAY, which has no race.
     */
    static final Set<String> POOLED_HTTP1_CLIENTS = Set.of(PooledLoad.client(PooledLoad.Kind.JDK),
            PooledLoad.client(PooledLoad.Kind.APACHE));

    /** Outcomes with no byte of a response: what a request lost to an idle-close race ends with. */
    static final Set<Outcome> NO_RESPONSE_BYTE = Collections.unmodifiableSet(EnumSet.of(Outcome.RESET,
            Outcome.WRITE_FAILED, Outcome.EOF_NO_RESPONSE, Outcome.IO_ERROR));

    /** How many lost sequence numbers a violation names. */
    private static final int NAMED_GAPS = 5;

    /**
     * One replica's history; times are milliseconds since the start of the run, {@code NaN} when it did not happen.
     *
     * @param requests requests it answered (its id in the instance header), whatever the status
     * @param servedInLagWindow requests it answered that were sent after its SIGTERM and before its removal
     * @param inFlightAtSigterm requests it answered that were sent before its SIGTERM and completed after it
     * @param servedBeforeReady requests it answered that completed before its ready-file appeared
     * @param crashed whether the scenario SIGKILLed it on purpose (a container crash), so that it is exempt from the
     *        termination rules
     */
    public record ReplicaSummary(String id, int revision, long requests, double startedAt, double readyAt,
                                 double inRotationAt, double sigtermAt, double removedAt, double exitedAt,
                                 int exitCode, boolean killed, long servedInLagWindow, long inFlightAtSigterm,
                                 long servedBeforeReady, boolean crashed) {

        /** Whether the run terminated this replica (the last revision's replicas are only stopped at the end). */
        public boolean terminated() {
            return !Double.isNaN(sigtermAt);
        }
    }

    /**
     * What one client saw.
     *
     * @param scheduled requests it scheduled, {@code -1} for a closed-loop client ({@code hey})
     * @param reconnects new connections opened without a failed request, by reason; empty when the client cannot tell
     */
    public record ClientSummary(String client, long scheduled, long requests, long completed, long failures,
                                Map<Outcome, Long> outcomes, Map<String, Long> reconnects) {}

    /**
     * A failed request of a pooled HTTP/1.1 client (the JDK's or Apache's HttpClient) that got no byte of a response
     * ({@link Outcome#RESET}, {@link Outcome#WRITE_FAILED}, {@link Outcome#EOF_NO_RESPONSE} or
     * {@link Outcome#IO_ERROR}) and was sent from 100 ms before to 400 ms after the drain begin of a terminated
     * replica: most likely written on a keep-alive connection the replica closed as idle when its drain began, the
     * race HTTP/1.1 cannot avoid. Times are milliseconds since the start of the run.
     *
     * @param replica the terminated replica whose drain began nearest to the request
     * @param drainBeganAt that replica's SIGTERM plus the pre-stop delay
     * @param tolerated whether the verdict leaves it out ({@link RolloutHarnessBuilder#tolerateIdleCloseRaces(int)})
     */
    public record IdleCloseRace(String client, long sequence, String request, double sent, Outcome outcome,
                                String replica, double drainBeganAt, boolean tolerated) {

        /** How long after the drain begin the request was sent (negative: before). */
        public double offsetMillis() {
            return sent - drainBeganAt;
        }
    }

    private final String name;
    private final int rate;
    private final double loadStartedAt;
    private final double loadStoppedAt;
    private final List<ClientRecords> clients;
    private final List<RequestRecord> records;
    private final Map<Outcome, Long> outcomes;
    private final List<ReplicaSummary> replicas;
    private final boolean readyFileChecked;
    private final Duration terminationGracePeriod;
    private final Duration endpointLag;
    private final int expectedExitCode;
    private final Path requestLog;
    private final double[] latencies;
    /** Why replicas never terminated may serve nothing, or null: every replica must serve. */
    private String idleNewReplicasReason;
    /** The replicas' pre-stop delay, or null when unknown: then no failure is an idle-close race. */
    private Duration preStopDelay;
    /** Idle-close races the verdict tolerates per terminated replica; 0: none. */
    private int idleCloseRacesTolerated;

    RolloutReport(String name, int rate, double loadStartedAt, double loadStoppedAt, List<ClientRecords> clients,
                  List<Replica> replicas, boolean readyFileChecked, Duration terminationGracePeriod,
                  Duration endpointLag, int expectedExitCode, Path requestLog) {
        this.name = name;
        this.rate = rate;
        this.loadStartedAt = loadStartedAt;
        this.loadStoppedAt = loadStoppedAt;
        this.clients = List.copyOf(clients);
        this.records = clients.stream().flatMap(c -> c.records.stream())
                .sorted(Comparator.comparingDouble(RequestRecord::scheduled)).toList();
        this.readyFileChecked = readyFileChecked;
        this.terminationGracePeriod = terminationGracePeriod;
        this.endpointLag = endpointLag;
        this.expectedExitCode = expectedExitCode;
        this.requestLog = requestLog;
        Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);
        for (Outcome outcome : Outcome.values()) {
            counts.put(outcome, clients.stream().mapToLong(c -> c.outcomes.get(outcome)).sum());
        }
        this.outcomes = Collections.unmodifiableMap(counts);
        this.latencies = this.records.stream().filter(r -> r.outcome() == Outcome.OK)
                .mapToDouble(RequestRecord::latency).sorted().toArray();
        this.replicas = replicas.stream().map(this::summarize).toList();
    }

    private ReplicaSummary summarize(Replica replica) {
        long requests = 0;
        long lagWindow = 0;
        long inFlight = 0;
        long beforeReady = 0;
        for (RequestRecord r : records) {
            if (!r.replica().equals(replica.id)) {
                continue;
            }
            requests++;
            if (r.sent() >= replica.sigtermAt && r.sent() < replica.removedAt) {
                lagWindow++;
            }
            if (r.sent() < replica.sigtermAt && r.completed() > replica.sigtermAt) {
                inFlight++;
            }
            if (r.completed() < replica.readyAt - CLOCK_SLACK_MILLIS) {
                beforeReady++;
            }
        }
        return new ReplicaSummary(replica.id, replica.revision, requests, replica.startedAt, replica.readyAt,
                replica.upAt, replica.sigtermAt, replica.removedAt, replica.exitedAt, replica.exitCode,
                replica.killed, lagWindow, inFlight, beforeReady, replica.crashed);
    }

    /** Every request sent or scheduled, by every client. */
    public long requests() {
        return clients.stream().mapToLong(ClientRecords::requests).sum();
    }

    /** Requests scheduled by the open-loop clients (rate x load duration, or bursts x burst size). */
    public long scheduled() {
        return clients.stream().mapToLong(c -> Math.max(0, c.scheduled)).sum();
    }

    /** Every client of the run, the raw generator first. */
    public List<ClientSummary> clients() {
        return clients.stream().map(c -> new ClientSummary(c.client, c.scheduled, c.requests(), c.completed(),
                c.failures(), c.outcomes, c.reconnects)).toList();
    }

    /** Requests with a 2xx response. */
    public long completed() {
        return outcomes.get(Outcome.OK);
    }

    /** Failed requests: every outcome but {@link Outcome#OK}. */
    public long failures() {
        return requests() - completed();
    }

    /** The count of each outcome over every client, every outcome present. */
    public Map<Outcome, Long> outcomes() {
        return outcomes;
    }

    /**
     * New connections opened without a failed request, by reason (e.g. {@code CONNECTION_CLOSE}), summed over the
     * clients that can tell.
     */
    public Map<String, Long> reconnects() {
        Map<String, Long> sum = new LinkedHashMap<>();
        clients.forEach(c -> c.reconnects.forEach((reason, n) -> sum.merge(reason, n, Long::sum)));
        return Collections.unmodifiableMap(sum);
    }

    /** Every replica of the run, in start order. */
    public List<ReplicaSummary> replicas() {
        return replicas;
    }

    /** The latency of successful requests at quantile {@code q} (0..1), in ms from their scheduled time. */
    public double latencyMillis(double q) {
        if (q < 0 || q > 1) {
            throw new IllegalArgumentException("q: " + q + " (expected: 0..1)");
        }
        if (latencies.length == 0) {
            return Double.NaN;
        }
        return latencies[Math.max(0, (int) Math.ceil(q * latencies.length) - 1)];
    }

    /** The CSV file with one line per request. */
    public Path requestLog() {
        return requestLog;
    }

    /** Why this run was not free of downtime; empty when it was. */
    public List<String> violations() {
        List<String> violations = new ArrayList<>();
        List<IdleCloseRace> races = idleCloseRaces();
        for (ClientRecords c : clients) {
            long crash = crashFailures(c);
            long raced = races.stream().filter(r -> r.client().equals(c.client)).count();
            long tolerated = races.stream().filter(r -> r.client().equals(c.client) && r.tolerated()).count();
            long failed = c.failures() - crash - tolerated;
            if (failed > 0) {
                List<String> parts = new ArrayList<>();
                if (crash > 0) {
                    parts.add(crash + " of them the crash's");
                }
                if (raced - tolerated > 0) {
                    parts.add((raced - tolerated) + " of them idle-close races, " + (idleCloseRacesTolerated == 0
                            ? "not tolerated" : "beyond the " + idleCloseRacesTolerated + " tolerated per replica"));
                }
                violations.add(c.client + ": " + failed + " failed requests: " + failureCounts(c.outcomes)
                        + (parts.isEmpty() ? "" : " (" + String.join("; ", parts) + ")"));
            }
            if (c.requests() == 0) {
                violations.add(c.client + ": no request recorded: the client did not run");
            }
            if (c.scheduled >= 0) {
                reconcile(c, violations);
            }
        }
        if (idleCloseRacesTolerated > 0) {
            races.stream().collect(Collectors.groupingBy(IdleCloseRace::replica, LinkedHashMap::new,
                    Collectors.counting())).forEach((replica, n) -> {
                        if (n > idleCloseRacesTolerated) {
                            violations.add("replica " + replica + ": " + n + " idle-close races at its drain begin "
                                    + "(expected: at most " + idleCloseRacesTolerated + ")");
                        }
                    });
        }
        for (ReplicaSummary r : replicas) {
            if (r.requests() == 0 && !r.crashed() && (r.terminated() || idleNewReplicasReason == null)) {
                violations.add("replica " + r.id() + " served no request");
            }
            if (readyFileChecked && Double.isNaN(r.readyAt()) && !r.crashed()) {
                violations.add("replica " + r.id() + " was in rotation without its ready-file");
            }
            if (r.servedBeforeReady() > 0) {
                violations.add("replica " + r.id() + " answered " + r.servedBeforeReady()
                        + " requests before it was ready");
            }
            if (readyFileChecked && r.readyAt() < r.startedAt() - CLOCK_SLACK_MILLIS) {
                violations.add(String.format(Locale.ROOT, "replica %s entered the endpoints on a stale ready-file: "
                        + "written at %.3f s, before the process started at %.3f s", r.id(), r.readyAt() / 1000,
                        r.startedAt() / 1000));
            }
            if (!r.terminated() && !r.crashed()) {
                // stopped by the harness once the load was over: a shutdown that fails or hangs is still a bug
                if (r.killed()) {
                    violations.add("replica " + r.id() + " still ran " + terminationGracePeriod + " after the SIGTERM "
                            + "that ended the run and was SIGKILLed");
                } else if (r.exitCode() != Integer.MIN_VALUE && r.exitCode() != expectedExitCode) {
                    violations.add("replica " + r.id() + " exited with status " + r.exitCode() + " after the "
                            + "SIGTERM that ended the run (expected: " + expectedExitCode + ")");
                }
            }
            if (!r.terminated() || r.crashed()) {
                continue;
            }
            if (r.servedInLagWindow() == 0) {
                violations.add("replica " + r.id() + " served no request sent between its SIGTERM and its removal "
                        + "from the load balancer: the endpoint lag was not exercised");
            }
            if (Double.isNaN(r.removedAt())) {
                violations.add("replica " + r.id() + " was never removed from the load balancer");
            }
            if (r.killed()) {
                violations.add("replica " + r.id() + " still ran " + terminationGracePeriod
                        + " after SIGTERM and was SIGKILLed");
            } else if (Double.isNaN(r.exitedAt())) {
                violations.add("replica " + r.id() + " did not exit after SIGTERM");
            } else if (r.exitCode() != expectedExitCode) {
                violations.add("replica " + r.id() + " exited with status " + r.exitCode() + " after SIGTERM "
                        + "(expected: " + expectedExitCode + ")");
            }
        }
        return violations;
    }

    /**
     * Failures of a client that completed while a crashed replica was still an endpoint (between its SIGKILL and its
     * removal plus {@link #CRASH_SETTLE_MILLIS}): the crash's, not a violation. Only clients whose requests we see
     * one by one can be exempted.
     */
    long crashFailures(ClientRecords c) {
        List<ReplicaSummary> crashed = replicas.stream().filter(ReplicaSummary::crashed).toList();
        if (crashed.isEmpty()) {
            return 0;
        }
        return c.records.stream().filter(r -> isCrashFailure(r, crashed)).count();
    }

    private static boolean isCrashFailure(RequestRecord r, List<ReplicaSummary> crashed) {
        return r.outcome().isFailure() && crashed.stream().anyMatch(x ->
                r.completed() >= x.sigtermAt() && r.completed() <= x.removedAt() + CRASH_SETTLE_MILLIS);
    }

    /**
     * The failed requests classified as idle-close races, in the order of the clients and their records: empty when
     * the pre-stop delay is unknown. A failure already the crash's is not one. Each is marked tolerated when the
     * harness was told to tolerate idle-close races and its replica had no more than the bound.
     */
    public List<IdleCloseRace> idleCloseRaces() {
        if (preStopDelay == null) {
            return List.of();
        }
        double delay = preStopDelay.toNanos() / 1e6;
        List<ReplicaSummary> crashed = replicas.stream().filter(ReplicaSummary::crashed).toList();
        List<ReplicaSummary> drained = replicas.stream().filter(r -> r.terminated() && !r.crashed()).toList();
        List<RequestRecord> raced = new ArrayList<>();
        List<String> racedClients = new ArrayList<>();
        List<ReplicaSummary> racedReplicas = new ArrayList<>();
        for (ClientRecords c : clients) {
            if (!POOLED_HTTP1_CLIENTS.contains(c.client)) {
                continue;
            }
            for (RequestRecord r : c.records) {
                if (!NO_RESPONSE_BYTE.contains(r.outcome()) || Double.isNaN(r.sent())
                        || isCrashFailure(r, crashed)) {
                    continue;
                }
                drained.stream().filter(x -> r.sent() >= x.sigtermAt() + delay - RACE_WINDOW_BEFORE_MILLIS
                                && r.sent() <= x.sigtermAt() + delay + RACE_WINDOW_AFTER_MILLIS)
                        .min(Comparator.comparingDouble(x -> Math.abs(r.sent() - x.sigtermAt() - delay)))
                        .ifPresent(x -> {
                            raced.add(r);
                            racedClients.add(c.client);
                            racedReplicas.add(x);
                        });
            }
        }
        Map<String, Long> perReplica = racedReplicas.stream().collect(Collectors.groupingBy(ReplicaSummary::id,
                Collectors.counting()));
        List<IdleCloseRace> races = new ArrayList<>();
        for (int i = 0; i < raced.size(); i++) {
            RequestRecord r = raced.get(i);
            ReplicaSummary x = racedReplicas.get(i);
            boolean tolerated = idleCloseRacesTolerated > 0 && perReplica.get(x.id()) <= idleCloseRacesTolerated;
            races.add(new IdleCloseRace(racedClients.get(i), r.sequence(), r.request(), r.sent(), r.outcome(),
                    x.id(), x.sigtermAt() + delay, tolerated));
        }
        return List.copyOf(races);
    }

    /**
     * Classifies idle-close races: each terminated replica's drain began {@code preStopDelay} after its SIGTERM; the
     * verdict leaves out up to {@code toleratedPerReplica} of them per terminated replica (0: none).
     */
    void idleCloseRaces(Duration preStopDelay, int toleratedPerReplica) {
        this.preStopDelay = preStopDelay;
        this.idleCloseRacesTolerated = toleratedPerReplica;
    }

    /**
     * Lets replicas that were never terminated serve no request (a front that keeps its connections on the replicas
     * it had); the summary says why. A terminated replica must still have served in its lag window.
     */
    void exemptIdleNewReplicas(String reason) {
        this.idleNewReplicasReason = reason;
    }

    /** Every scheduled sequence number 0..scheduled-1 recorded exactly once, and nothing else. */
    private static void reconcile(ClientRecords c, List<String> violations) {
        BitSet seen = new BitSet();
        List<Long> duplicates = new ArrayList<>();
        List<Long> unknown = new ArrayList<>();
        for (RequestRecord r : c.records) {
            if (r.sequence() < 0 || r.sequence() >= c.scheduled) {
                unknown.add(r.sequence());
            } else if (seen.get((int) r.sequence())) {
                duplicates.add(r.sequence());
            } else {
                seen.set((int) r.sequence());
            }
        }
        long missing = c.scheduled - seen.cardinality();
        if (missing > 0) {
            List<Integer> named = new ArrayList<>();
            for (int i = seen.nextClearBit(0); i < c.scheduled && named.size() < NAMED_GAPS;
                    i = seen.nextClearBit(i + 1)) {
                named.add(i);
            }
            violations.add(c.client + ": " + missing + " of " + c.scheduled + " scheduled requests were never "
                    + "recorded (lost; first: " + named + ")");
        }
        if (!duplicates.isEmpty()) {
            violations.add(c.client + ": " + duplicates.size() + " requests recorded twice (first: "
                    + duplicates.subList(0, Math.min(NAMED_GAPS, duplicates.size())) + ")");
        }
        if (!unknown.isEmpty()) {
            violations.add(c.client + ": " + unknown.size() + " records of requests never scheduled (first: "
                    + unknown.subList(0, Math.min(NAMED_GAPS, unknown.size())) + ")");
        }
    }

    /** Whether {@link #violations()} is empty. */
    public boolean isZeroDowntime() {
        return violations().isEmpty();
    }

    private static String failureCounts(Map<Outcome, Long> outcomes) {
        return outcomes.entrySet().stream().filter(e -> e.getKey().isFailure() && e.getValue() > 0)
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }

    /** A human-readable summary: totals, failures by kind, latency, and one line per replica. */
    public String summaryTable() {
        StringBuilder out = new StringBuilder();
        double seconds = (loadStoppedAt - loadStartedAt) / 1000;
        out.append(String.format(Locale.ROOT, "== %s: %.1f s of load at %d req/s, endpoint lag %s, grace %s%n",
                name, seconds, rate, endpointLag, terminationGracePeriod));
        for (ClientRecords c : clients) {
            out.append(String.format(Locale.ROOT, "client %s: requests %d (scheduled %s), completed %d, failed %d%s%n",
                    c.client, c.requests(), c.scheduled < 0 ? "-" : Long.toString(c.scheduled), c.completed(),
                    c.failures(), c.failures() == 0 ? "" : " (" + failureCounts(c.outcomes) + ")"));
            out.append("  reconnects without failure: ").append(!c.reconnectsObservable ? "not observable"
                    : c.reconnects.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                    .collect(Collectors.joining(", "))).append('\n');
            c.notes.forEach(note -> out.append("  ").append(note).append('\n'));
            long crash = crashFailures(c);
            if (crash > 0) {
                out.append("  failures caused by a crash (not violations): ").append(crash).append('\n');
            }
            List<IdleCloseRace> races = idleCloseRaces().stream().filter(r -> r.client().equals(c.client)).toList();
            if (!races.isEmpty()) {
                long tolerated = races.stream().filter(IdleCloseRace::tolerated).count();
                out.append("  idle-close races: ").append(races.size()).append(" (").append(tolerated)
                        .append(" tolerated, ").append(races.size() - tolerated).append(" violations)\n");
                races.forEach(r -> out.append(String.format(Locale.ROOT,
                        "    #%d %s %s sent at %.3f s, %+.0f ms from replica %s's drain begin (%.3f s): %s%n",
                        r.sequence(), r.request(), r.outcome(), r.sent() / 1000, r.offsetMillis(), r.replica(),
                        r.drainBeganAt() / 1000, r.tolerated() ? "tolerated" : "violation")));
            }
        }
        if (preStopDelay != null) {
            out.append(String.format(Locale.ROOT, "idle-close race window: %.0f ms before to %.0f ms after each drain "
                    + "begin (SIGTERM + pre-stop delay %s), pooled HTTP/1.1 clients, no response byte; %s%n",
                    RACE_WINDOW_BEFORE_MILLIS, RACE_WINDOW_AFTER_MILLIS, preStopDelay, idleCloseRacesTolerated == 0
                    ? "not tolerated (violations)"
                    : "tolerated up to " + idleCloseRacesTolerated + " per terminated replica"));
        }
        out.append(String.format(Locale.ROOT, "latency of completed requests: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                latencyMillis(0.5), latencyMillis(0.99), latencyMillis(1)));
        out.append(String.format(Locale.ROOT, "%-8s %3s %8s %8s %8s %8s %8s %8s %5s %6s %9s %9s %7s%n",
                "replica", "rev", "requests", "ready_s", "inrot_s", "sigterm", "removed", "exited", "code",
                "killed", "lag_wind", "inflight", "early"));
        for (ReplicaSummary r : replicas) {
            out.append(String.format(Locale.ROOT, "%-8s %3d %8d %8s %8s %8s %8s %8s %5s %6s %9d %9d %7d%n",
                    r.id(), r.revision(), r.requests(), secondsOf(r.readyAt()), secondsOf(r.inRotationAt()),
                    secondsOf(r.sigtermAt()), secondsOf(r.removedAt()), secondsOf(r.exitedAt()),
                    r.exitCode() == Integer.MIN_VALUE ? "-" : Integer.toString(r.exitCode()),
                    r.crashed() ? "crash" : r.killed() ? "yes" : "no",
                    r.servedInLagWindow(), r.inFlightAtSigterm(), r.servedBeforeReady()));
        }
        if (idleNewReplicasReason != null) {
            replicas.stream().filter(r -> r.requests() == 0 && !r.terminated()).forEach(r -> out.append("replica ")
                    .append(r.id()).append(" served no request: ").append(idleNewReplicasReason).append('\n'));
        }
        out.append("(times in s from the start of the run; lag_wind: requests sent between SIGTERM and removal; "
                + "inflight: sent before SIGTERM, answered after; early: answered before the ready-file)\n");
        List<String> violations = violations();
        out.append(violations.isEmpty() ? "zero downtime: yes\n"
                : "zero downtime: no\n  - " + String.join("\n  - ", violations) + '\n');
        return out.toString();
    }

    private static String secondsOf(double millis) {
        return Double.isNaN(millis) ? "-" : String.format(Locale.ROOT, "%.2f", millis / 1000);
    }

    void writeRequestLog() throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(requestLog, StandardCharsets.UTF_8)) {
            out.write("client," + RequestRecord.CSV_HEADER);
            out.newLine();
            for (ClientRecords c : clients) {
                for (RequestRecord r : c.records) {
                    out.write(c.client + ',' + r.toCsv());
                    out.newLine();
                }
            }
        }
    }
}
