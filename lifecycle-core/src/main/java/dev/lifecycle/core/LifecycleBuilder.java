package dev.lifecycle.core;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.lifecycle.core.internal.Durations;

/**
 * Builds a {@link Lifecycle}. Every setter checks its argument; {@link #build()} applies the environment overrides,
 * checks the rules between settings and copies the state, so reusing a builder never changes a built lifecycle.
 *
 * <h2>Environment overrides</h2>
 * Read at {@link #build()} from {@link System#getenv()} (or {@link #environment(Map)}); a variable that is set wins
 * over the builder's value, so the same image can be tuned per deployment:
 * <table>
 * <caption>Environment variables</caption>
 * <tr><th>variable</th><th>setting</th><th>example</th></tr>
 * <tr><td>{@code LIFECYCLE_PRESTOP_DELAY}</td><td>{@link #preStopDelay(Duration)}</td><td>{@code 5s}</td></tr>
 * <tr><td>{@code LIFECYCLE_DRAIN_TIMEOUT}</td><td>{@link #drainTimeout(Duration)}</td><td>{@code 20s}</td></tr>
 * <tr><td>{@code LIFECYCLE_LONG_LIVED_DRAIN_TIMEOUT}</td><td>{@link #longLivedDrainTimeout(Duration)}</td>
 *     <td>{@code 2s}</td></tr>
 * <tr><td>{@code LIFECYCLE_STOP_TIMEOUT}</td><td>{@link #stopTimeout(Duration)}</td><td>{@code 5s}</td></tr>
 * <tr><td>{@code LIFECYCLE_TERMINATION_GRACE_PERIOD}</td><td>{@link #terminationGracePeriod(Duration)}</td>
 *     <td>{@code 60s}</td></tr>
 * <tr><td>{@code LIFECYCLE_READY_FILE}</td><td>{@link #readyFile(Path)}</td><td>{@code /tmp/ready}</td></tr>
 * <tr><td>{@code LIFECYCLE_DRAIN_POLICY}</td><td>{@link #drainPolicy(DrainPolicy)}</td>
 *     <td>{@code reject-503}</td></tr>
 * </table>
 * Durations are written {@code 0}, {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h} or ISO-8601 ({@code PT5S}).
 */
public final class LifecycleBuilder {

    static final String ENV_PRESTOP_DELAY = "LIFECYCLE_PRESTOP_DELAY";
    static final String ENV_DRAIN_TIMEOUT = "LIFECYCLE_DRAIN_TIMEOUT";
    static final String ENV_LONG_LIVED_DRAIN_TIMEOUT = "LIFECYCLE_LONG_LIVED_DRAIN_TIMEOUT";
    static final String ENV_STOP_TIMEOUT = "LIFECYCLE_STOP_TIMEOUT";
    static final String ENV_TERMINATION_GRACE_PERIOD = "LIFECYCLE_TERMINATION_GRACE_PERIOD";
    static final String ENV_READY_FILE = "LIFECYCLE_READY_FILE";
    static final String ENV_DRAIN_POLICY = "LIFECYCLE_DRAIN_POLICY";

    Duration preStopDelay = Duration.ZERO;
    Duration drainTimeout = Duration.ofSeconds(20);
    Duration longLivedDrainTimeout = Duration.ofSeconds(5);
    Duration stopTimeout = Duration.ofSeconds(5);
    Duration terminationGracePeriod = Duration.ofSeconds(30);
    Duration retryAfter = Duration.ofSeconds(1);
    DrainPolicy drainPolicy = DrainPolicy.SERVE_AND_CLOSE;
    Path readyFile;
    boolean describeRequests = true;
    boolean shutdownHook;
    Map<String, String> environment;
    final List<StartupTask> startupTasks = new ArrayList<>();
    final Map<String, HealthCheck> livenessChecks = new LinkedHashMap<>();
    final Map<String, HealthCheck> readinessChecks = new LinkedHashMap<>();

    LifecycleBuilder() {
    }

    /**
     * How long to keep serving, readiness already down, before admission closes: the time load balancers need to
     * stop sending new connections. Replaces a {@code preStop: sleep} hook. The default is {@code 0}.
     *
     * @throws IllegalArgumentException if negative
     */
    public LifecycleBuilder preStopDelay(Duration preStopDelay) {
        this.preStopDelay = Durations.requireNonNegative("preStopDelay", preStopDelay);
        return this;
    }

    /**
     * How long to wait for in-flight requests once admission has closed. {@code 0} does not wait at all. The default
     * is 20 seconds.
     *
     * @throws IllegalArgumentException if negative
     */
    public LifecycleBuilder drainTimeout(Duration drainTimeout) {
        this.drainTimeout = Durations.requireNonNegative("drainTimeout", drainTimeout);
        return this;
    }

    /**
     * How long to wait for long-lived requests (see {@link InflightRequest#markLongLived(Runnable)}) once admission
     * has closed and they were told to end; counted in parallel with the drain timeout. The default is 5 seconds.
     *
     * @throws IllegalArgumentException if negative
     */
    public LifecycleBuilder longLivedDrainTimeout(Duration longLivedDrainTimeout) {
        this.longLivedDrainTimeout = Durations.requireNonNegative("longLivedDrainTimeout", longLivedDrainTimeout);
        return this;
    }

    /**
     * The bound on each stop action; one that runs longer is logged, interrupted and left behind. Also bounds the
     * wait for interrupted startup tasks when shutdown begins during startup. The default is 5 seconds.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public LifecycleBuilder stopTimeout(Duration stopTimeout) {
        this.stopTimeout = requirePositive("stopTimeout", stopTimeout);
        return this;
    }

    private static Duration requirePositive(String name, Duration duration) {
        Durations.requireNonNegative(name, duration);
        if (duration.isZero()) {
            throw new IllegalArgumentException(name + ": " + duration + " (expected: > 0)");
        }
        return duration;
    }

    /**
     * The pod's {@code terminationGracePeriodSeconds}: if pre-stop delay + drain timeout + stop timeouts exceed it,
     * {@link Lifecycle#start()} logs a WARN, since Kubernetes would SIGKILL the process mid-shutdown. Nothing else
     * reads it. The default is 30 seconds, Kubernetes' default.
     *
     * @throws IllegalArgumentException if negative
     */
    public LifecycleBuilder terminationGracePeriod(Duration terminationGracePeriod) {
        this.terminationGracePeriod = Durations.requireNonNegative("terminationGracePeriod", terminationGracePeriod);
        return this;
    }

    /**
     * The {@code Retry-After} adapters send with a {@code 503} to a refused request, rounded up to whole seconds. The
     * default is 1 second.
     *
     * @throws IllegalArgumentException if negative
     */
    public LifecycleBuilder retryAfter(Duration retryAfter) {
        this.retryAfter = Durations.requireNonNegative("retryAfter", retryAfter);
        return this;
    }

    /**
     * What a request that arrives after the drain began gets: served with {@code Connection: close}, or refused with
     * {@code 503} or {@code 429} and {@code Retry-After}; see {@link DrainPolicy}. The default is
     * {@link DrainPolicy#SERVE_AND_CLOSE}, which fails no request that reaches the service.
     *
     * @throws NullPointerException if {@code drainPolicy} is {@code null}
     */
    public LifecycleBuilder drainPolicy(DrainPolicy drainPolicy) {
        this.drainPolicy = requireNonNull(drainPolicy, "drainPolicy cannot be null");
        return this;
    }

    /**
     * A file that exists exactly while the service is ready, for an {@code exec: cat} readiness probe. A stale one is
     * deleted at start; the directory must exist and be writable, and the path must not be a directory. None by
     * default.
     */
    public LifecycleBuilder readyFile(Path readyFile) {
        this.readyFile = requireNonNull(readyFile, "readyFile cannot be null");
        return this;
    }

    /**
     * Whether to keep each request's method, path and start time so that a drain timeout can name the requests still
     * in flight. Costs a small allocation and a concurrent-set update per request. The default is {@code true}.
     */
    public LifecycleBuilder describeRequests(boolean describeRequests) {
        this.describeRequests = describeRequests;
        return this;
    }

    /**
     * Whether to install a JVM shutdown hook, at {@link #build()}, that runs {@link Lifecycle#shutdown()} on SIGTERM
     * or SIGINT. The default is {@code false}.
     */
    public LifecycleBuilder shutdownHook(boolean shutdownHook) {
        this.shutdownHook = shutdownHook;
        return this;
    }

    /** Adds a startup task; its name must be unique. */
    public LifecycleBuilder startupTask(StartupTask task) {
        startupTasks.add(requireNonNull(task, "task cannot be null"));
        return this;
    }

    /**
     * Adds a liveness check: while it fails, liveness is down and Kubernetes restarts the container.
     *
     * @throws IllegalArgumentException if {@code name} is blank or already used by another liveness check
     */
    public LifecycleBuilder livenessCheck(String name, HealthCheck check) {
        putCheck(livenessChecks, "livenessCheck", name, check);
        return this;
    }

    /**
     * Adds a readiness check: while it fails, readiness is down and the pod gets no new traffic.
     *
     * @throws IllegalArgumentException if {@code name} is blank or already used by another readiness check
     */
    public LifecycleBuilder readinessCheck(String name, HealthCheck check) {
        putCheck(readinessChecks, "readinessCheck", name, check);
        return this;
    }

    private static void putCheck(Map<String, HealthCheck> checks, String setting, String name, HealthCheck check) {
        requireNonNull(name, "name cannot be null");
        requireNonNull(check, "check cannot be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException(setting + " name: '" + name + "' (expected: not blank)");
        }
        if (checks.putIfAbsent(name, check) != null) {
            throw new IllegalArgumentException(setting + ": duplicate name '" + name + "'");
        }
    }

    /**
     * The environment to read overrides from, instead of {@link System#getenv()}; an empty map turns overrides off.
     */
    public LifecycleBuilder environment(Map<String, String> environment) {
        this.environment = Map.copyOf(requireNonNull(environment, "environment cannot be null"));
        return this;
    }

    /**
     * Builds the lifecycle, in state {@link State#STARTING}.
     *
     * @throws IllegalArgumentException naming the setting and the value, for a bad environment override, a duplicate
     *     or unknown startup task name, or a cycle between startup tasks
     */
    public Lifecycle build() {
        LifecycleBuilder copy = copyWithOverrides();
        checkTasks(copy.startupTasks);
        return new Lifecycle(copy);
    }

    private LifecycleBuilder copyWithOverrides() {
        Map<String, String> env = environment != null ? environment : System.getenv();
        LifecycleBuilder copy = new LifecycleBuilder();
        copy.preStopDelay = duration(env, ENV_PRESTOP_DELAY, preStopDelay);
        copy.drainTimeout = duration(env, ENV_DRAIN_TIMEOUT, drainTimeout);
        copy.longLivedDrainTimeout = duration(env, ENV_LONG_LIVED_DRAIN_TIMEOUT, longLivedDrainTimeout);
        copy.stopTimeout = duration(env, ENV_STOP_TIMEOUT, stopTimeout);
        if (copy.stopTimeout.isZero()) {
            throw new IllegalArgumentException(ENV_STOP_TIMEOUT + ": '" + env.get(ENV_STOP_TIMEOUT)
                                               + "' (expected: > 0)");
        }
        copy.terminationGracePeriod = duration(env, ENV_TERMINATION_GRACE_PERIOD, terminationGracePeriod);
        copy.retryAfter = retryAfter;
        String drainPolicyOverride = env.get(ENV_DRAIN_POLICY);
        copy.drainPolicy = drainPolicyOverride == null ? drainPolicy
                                                       : DrainPolicy.parse(ENV_DRAIN_POLICY, drainPolicyOverride);
        copy.readyFile = readyFile;
        String readyFileOverride = env.get(ENV_READY_FILE);
        if (readyFileOverride != null) {
            if (readyFileOverride.isBlank()) {
                throw new IllegalArgumentException(ENV_READY_FILE + ": '" + readyFileOverride
                                                   + "' (expected: a file path)");
            }
            try {
                copy.readyFile = Path.of(readyFileOverride);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(ENV_READY_FILE + ": '" + readyFileOverride
                                                   + "' (expected: a file path)", e);
            }
        }
        copy.describeRequests = describeRequests;
        copy.shutdownHook = shutdownHook;
        copy.startupTasks.addAll(startupTasks);
        copy.livenessChecks.putAll(livenessChecks);
        copy.readinessChecks.putAll(readinessChecks);
        return copy;
    }

    private static Duration duration(Map<String, String> env, String variable, Duration builderValue) {
        String text = env.get(variable);
        return text == null ? builderValue : Durations.parse(variable, text);
    }

    private static void checkTasks(List<StartupTask> tasks) {
        Map<String, StartupTask> byName = new HashMap<>();
        for (StartupTask task : tasks) {
            if (byName.putIfAbsent(task.name(), task) != null) {
                throw new IllegalArgumentException("startupTask: duplicate name '" + task.name() + "'");
            }
        }
        for (StartupTask task : tasks) {
            for (String dependency : task.dependencies()) {
                if (!byName.containsKey(dependency)) {
                    throw new IllegalArgumentException("startupTask '" + task.name()
                                                       + "' depends on unknown task '" + dependency + "'");
                }
            }
        }
        Map<String, Integer> marks = new HashMap<>(); // 1: on the current path, 2: checked
        for (StartupTask task : tasks) {
            List<String> path = new ArrayList<>();
            findCycle(task.name(), byName, marks, path);
        }
    }

    private static void findCycle(String name, Map<String, StartupTask> byName, Map<String, Integer> marks,
                                  List<String> path) {
        Integer mark = marks.get(name);
        if (mark != null && mark == 2) {
            return;
        }
        path.add(name);
        if (mark != null) {
            List<String> cycle = path.subList(path.indexOf(name), path.size());
            throw new IllegalArgumentException("startupTask: dependency cycle " + String.join(" -> ", cycle));
        }
        marks.put(name, 1);
        for (String dependency : byName.get(name).dependencies()) {
            findCycle(dependency, byName, marks, path);
        }
        marks.put(name, 2);
        path.remove(path.size() - 1);
    }
}
