package dev.lifecycle.core;

import java.time.Duration;
import java.util.List;

import dev.lifecycle.core.internal.Json;

/**
 * A snapshot of a lifecycle's health, as a probe reports it: the state, each check's and each startup task's status,
 * and the number of requests in flight. Rendered by {@link #toJson(Probe, boolean)} for every HTTP adapter.
 *
 * @param state the lifecycle's state
 * @param checks the checks that were run for this snapshot
 * @param tasks every startup task, in registration order
 * @param inflight the requests in flight, long-lived ones excluded
 * @param longLived the long-lived requests in flight
 */
public record Health(State state, List<Check> checks, List<Task> tasks, long inflight, long longLived) {

    /** The outcome of a liveness or readiness check. */
    public enum CheckKind {
        /** A failing liveness check turns liveness down. */
        LIVENESS,
        /** A failing readiness check turns readiness down. */
        READINESS
    }

    /**
     * A check's result.
     *
     * @param name the check's name
     * @param kind liveness or readiness
     * @param up whether it passed
     * @param error why it failed, or {@code null}; may reveal internals, shown only with details on
     */
    public record Check(String name, CheckKind kind, boolean up, String error) {
    }

    /** A startup task's status. */
    public enum TaskStatus {
        /** Waiting for its dependencies or for {@link Lifecycle#start()}. */
        PENDING,
        /** Running now. */
        RUNNING,
        /** Finished without error. */
        SUCCEEDED,
        /** Threw. */
        FAILED,
        /** Ran past its timeout. */
        TIMED_OUT,
        /** Interrupted or never started because another task failed or shutdown began. */
        CANCELLED
    }

    /**
     * A startup task's progress.
     *
     * @param name the task's name
     * @param status its status
     * @param duration how long it ran (so far, while running); zero when it has not started
     * @param error why it failed, or {@code null}; shown only with details on
     */
    public record Task(String name, TaskStatus status, Duration duration, String error) {
    }

    /** Creates a snapshot. */
    public Health {
        checks = List.copyOf(checks);
        tasks = List.copyOf(tasks);
    }

    /** Whether {@code probe} is up in this snapshot. */
    public boolean isUp(Probe probe) {
        switch (probe) {
            case LIVENESS:
                return state != State.FAILED && checksUp(CheckKind.LIVENESS);
            case READINESS:
                return state == State.READY && checksUp(CheckKind.READINESS);
            default:
                // DRAINING and STOPPED also follow a shutdown during startup: the tasks tell whether it ever started
                return (state == State.READY || state == State.DRAINING || state == State.STOPPED)
                       && tasksSucceeded();
        }
    }

    private boolean tasksSucceeded() {
        for (Task task : tasks) {
            if (task.status() != TaskStatus.SUCCEEDED) {
                return false;
            }
        }
        return true;
    }

    private boolean checksUp(CheckKind kind) {
        for (Check check : checks) {
            if (check.kind() == kind && !check.up()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Renders the small JSON body of a probe response, for example
     * {@code {"status":"UP","state":"READY","inflight":0,"checks":[...],"tasks":[...]}}. Checks and tasks show names,
     * statuses and durations; errors (exception messages, which may reveal internals) only when {@code details}.
     */
    public String toJson(Probe probe, boolean details) {
        StringBuilder sb = new StringBuilder(128);
        sb.append("{\"status\":\"").append(isUp(probe) ? "UP" : "DOWN")
          .append("\",\"state\":\"").append(state.name())
          .append("\",\"inflight\":").append(inflight)
          .append(",\"longLived\":").append(longLived);
        sb.append(",\"checks\":[");
        for (int i = 0; i < checks.size(); i++) {
            Check check = checks.get(i);
            sb.append(i == 0 ? "{" : ",{");
            Json.string(sb.append("\"name\":"), check.name());
            sb.append(",\"kind\":\"").append(check.kind().name()).append('"');
            sb.append(",\"status\":\"").append(check.up() ? "UP" : "DOWN").append('"');
            appendError(sb, details, check.error());
            sb.append('}');
        }
        sb.append("],\"tasks\":[");
        for (int i = 0; i < tasks.size(); i++) {
            Task task = tasks.get(i);
            sb.append(i == 0 ? "{" : ",{");
            Json.string(sb.append("\"name\":"), task.name());
            sb.append(",\"status\":\"").append(task.status().name()).append('"');
            sb.append(",\"durationMs\":").append(task.duration().toMillis());
            appendError(sb, details, task.error());
            sb.append('}');
        }
        return sb.append("]}").toString();
    }

    private static void appendError(StringBuilder sb, boolean details, String error) {
        if (details && error != null) {
            Json.string(sb.append(",\"error\":"), error);
        }
    }
}
