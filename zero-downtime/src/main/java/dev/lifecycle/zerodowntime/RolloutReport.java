package dev.lifecycle.zerodowntime;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What one {@link RolloutHarness#run()} saw: every request's outcome, latencies, and per replica when it became
 * ready, received SIGTERM, left the load balancer and exited, and which requests it served meanwhile.
 *
 * <p>{@link #violations()} checks the zero-downtime promise: no failed request; at least 98% of the scheduled
 * requests completed; every replica served traffic; every terminated replica served requests sent between its SIGTERM
 * and its removal from the load balancer (so the endpoint lag was really exercised); no replica answered before its
 * ready-file appeared (when one is configured); and every terminated replica exited by itself within the grace period.
 */
public final class RolloutReport {

    /** Completed requests needed, as a share of the scheduled ones. */
    static final double REQUIRED_COMPLETION = 0.98;

    /** Slack when comparing a ready-file's wall-clock time with the monotonic timeline. */
    private static final double CLOCK_SLACK_MILLIS = 5;

    /**
     * One replica's history; times are milliseconds since the start of the run, {@code NaN} when it did not happen.
     *
     * @param requests requests it answered (its id in the instance header), whatever the status
     * @param servedInLagWindow requests it answered that were sent after its SIGTERM and before its removal
     * @param inFlightAtSigterm requests it answered that were sent before its SIGTERM and completed after it
     * @param servedBeforeReady requests it answered that completed before its ready-file appeared
     */
    public record ReplicaSummary(String id, int revision, long requests, double startedAt, double readyAt,
                                 double inRotationAt, double sigtermAt, double removedAt, double exitedAt,
                                 int exitCode, boolean killed, long servedInLagWindow, long inFlightAtSigterm,
                                 long servedBeforeReady) {

        /** Whether the rollout terminated this replica (the last revision's replicas are only stopped at the end). */
        public boolean terminated() {
            return !Double.isNaN(sigtermAt);
        }
    }

    private final String name;
    private final int rate;
    private final double loadStartedAt;
    private final double loadStoppedAt;
    private final long scheduled;
    private final List<RequestRecord> records;
    private final Map<Outcome, Long> outcomes;
    private final Map<String, Long> reconnects;
    private final List<ReplicaSummary> replicas;
    private final boolean readyFileChecked;
    private final Duration terminationGracePeriod;
    private final Duration endpointLag;
    private final Path requestLog;
    private final double[] latencies;

    RolloutReport(String name, int rate, double loadStartedAt, double loadStoppedAt, long scheduled,
                  List<RequestRecord> records, List<Replica> replicas, Map<LoadGenerator.Reconnect, Long> reconnects,
                  boolean readyFileChecked, Duration terminationGracePeriod, Duration endpointLag, Path requestLog) {
        this.name = name;
        this.rate = rate;
        this.loadStartedAt = loadStartedAt;
        this.loadStoppedAt = loadStoppedAt;
        this.scheduled = scheduled;
        this.records = records.stream().sorted(Comparator.comparingLong(RequestRecord::sequence)).toList();
        this.readyFileChecked = readyFileChecked;
        this.terminationGracePeriod = terminationGracePeriod;
        this.endpointLag = endpointLag;
        this.requestLog = requestLog;
        Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);
        for (Outcome outcome : Outcome.values()) {
            counts.put(outcome, 0L);
        }
        this.records.forEach(r -> counts.merge(r.outcome(), 1L, Long::sum));
        this.outcomes = Collections.unmodifiableMap(counts);
        Map<String, Long> reasons = new LinkedHashMap<>();
        reconnects.forEach((reason, count) -> reasons.put(reason.name(), count));
        this.reconnects = Collections.unmodifiableMap(reasons);
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
                replica.killed, lagWindow, inFlight, beforeReady);
    }

    /** Every request sent or scheduled. */
    public long requests() {
        return records.size();
    }

    /** Requests scheduled by the open-loop generator: rate x load duration. */
    public long scheduled() {
        return scheduled;
    }

    /** Requests with a 2xx response. */
    public long completed() {
        return outcomes.get(Outcome.OK);
    }

    /** Failed requests: every outcome but {@link Outcome#OK}. */
    public long failures() {
        return records.size() - completed();
    }

    /** The count of each outcome, every outcome present. */
    public Map<Outcome, Long> outcomes() {
        return outcomes;
    }

    /** New connections opened without a failed request, by reason (e.g. {@code CONNECTION_CLOSE}). */
    public Map<String, Long> reconnects() {
        return reconnects;
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
        if (failures() > 0) {
            violations.add(failures() + " failed requests: " + failureCounts());
        }
        if (completed() < REQUIRED_COMPLETION * scheduled) {
            violations.add(String.format(Locale.ROOT, "%d of %d scheduled requests completed (%.1f%%, expected: >= %.0f%%)",
                    completed(), scheduled, 100.0 * completed() / Math.max(1, scheduled), 100 * REQUIRED_COMPLETION));
        }
        for (ReplicaSummary r : replicas) {
            if (r.requests() == 0) {
                violations.add("replica " + r.id() + " served no request");
            }
            if (readyFileChecked && Double.isNaN(r.readyAt())) {
                violations.add("replica " + r.id() + " was in rotation without its ready-file");
            }
            if (r.servedBeforeReady() > 0) {
                violations.add("replica " + r.id() + " answered " + r.servedBeforeReady()
                        + " requests before it was ready");
            }
            if (!r.terminated()) {
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
            }
        }
        return violations;
    }

    /** Whether {@link #violations()} is empty. */
    public boolean isZeroDowntime() {
        return violations().isEmpty();
    }

    private String failureCounts() {
        return outcomes.entrySet().stream().filter(e -> e.getKey().isFailure() && e.getValue() > 0)
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }

    /** A human-readable summary: totals, failures by kind, latency, and one line per replica. */
    public String summaryTable() {
        StringBuilder out = new StringBuilder();
        double seconds = (loadStoppedAt - loadStartedAt) / 1000;
        out.append(String.format(Locale.ROOT, "== %s: %.1f s of load at %d req/s, endpoint lag %s, grace %s%n",
                name, seconds, rate, endpointLag, terminationGracePeriod));
        out.append(String.format(Locale.ROOT,
                "requests %d (scheduled %d), completed %d (%.2f%%), failed %d%n", requests(), scheduled, completed(),
                100.0 * completed() / Math.max(1, scheduled), failures()));
        out.append("failures by kind: ").append(failures() == 0 ? "none" : failureCounts()).append('\n');
        out.append(String.format(Locale.ROOT, "latency of completed requests: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                latencyMillis(0.5), latencyMillis(0.99), latencyMillis(1)));
        out.append("reconnects without failure: ").append(reconnects.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "))).append('\n');
        out.append(String.format(Locale.ROOT, "%-8s %3s %8s %8s %8s %8s %8s %8s %5s %6s %9s %9s %7s%n",
                "replica", "rev", "requests", "ready_s", "inrot_s", "sigterm", "removed", "exited", "code",
                "killed", "lag_wind", "inflight", "early"));
        for (ReplicaSummary r : replicas) {
            out.append(String.format(Locale.ROOT, "%-8s %3d %8d %8s %8s %8s %8s %8s %5s %6s %9d %9d %7d%n",
                    r.id(), r.revision(), r.requests(), secondsOf(r.readyAt()), secondsOf(r.inRotationAt()),
                    secondsOf(r.sigtermAt()), secondsOf(r.removedAt()), secondsOf(r.exitedAt()),
                    r.exitCode() == Integer.MIN_VALUE ? "-" : Integer.toString(r.exitCode()), r.killed() ? "yes" : "no",
                    r.servedInLagWindow(), r.inFlightAtSigterm(), r.servedBeforeReady()));
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
            out.write(RequestRecord.CSV_HEADER);
            out.newLine();
            for (RequestRecord r : records) {
                out.write(r.toCsv());
                out.newLine();
            }
        }
    }
}
