package dev.lifecycle.core;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

import dev.lifecycle.core.internal.Durations;

/**
 * Builds a {@link Lifecycle}. Every setter checks its argument; {@link #build()} applies the environment overrides,
 * checks the rules between settings and hands the lifecycle an immutable copy of the result, so reusing a builder
 * never changes a built lifecycle.
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
 * <tr><td>{@code LIFECYCLE_READY_FILE_REFRESH_INTERVAL}</td><td>{@link #readyFileRefreshInterval(Duration)}</td>
 *     <td>{@code 1s}</td></tr>
 * <tr><td>{@code LIFECYCLE_HEALTH_CHECK_TIMEOUT}</td><td>{@link #healthCheckTimeout(Duration)}</td>
 *     <td>{@code 500ms}</td></tr>
 * <tr><td>{@code LIFECYCLE_HEALTH_CHECK_MAX_AGE}</td><td>{@link #healthCheckMaxAge(Duration)}</td>
 *     <td>{@code 1s}</td></tr>
 * <tr><td>{@code LIFECYCLE_DRAIN_POLICY}</td><td>{@link #drainPolicy(DrainPolicy)}</td>
 *     <td>{@code reject-503}</td></tr>
 * <tr><td>{@code LIFECYCLE_DRAIN_QUIET_PERIOD}</td><td>{@link #drainQuietPeriod(Duration)}</td>
 *     <td>{@code 500ms}</td></tr>
 * </table>
 * Durations are written {@code 0}, {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h} or ISO-8601 ({@code PT5S}).
 * Any other variable starting with {@code LIFECYCLE_} fails the build, naming the closest setting, so that a misspelt
 * one ({@code LIFECYCLE_PRE_STOP_DELAY}) is not silently ignored; the variables Kubernetes adds for a Service whose
 * name starts with {@code lifecycle} ({@code LIFECYCLE_EXAMPLE_SERVICE_HOST}, {@code LIFECYCLE_EXAMPLE_PORT}, ...) are
 * not settings and are left alone.
 */
public final class LifecycleBuilder {

    static final String ENV_PRESTOP_DELAY = "LIFECYCLE_PRESTOP_DELAY";
    static final String ENV_DRAIN_TIMEOUT = "LIFECYCLE_DRAIN_TIMEOUT";
    static final String ENV_LONG_LIVED_DRAIN_TIMEOUT = "LIFECYCLE_LONG_LIVED_DRAIN_TIMEOUT";
    static final String ENV_STOP_TIMEOUT = "LIFECYCLE_STOP_TIMEOUT";
    static final String ENV_TERMINATION_GRACE_PERIOD = "LIFECYCLE_TERMINATION_GRACE_PERIOD";
    static final String ENV_READY_FILE = "LIFECYCLE_READY_FILE";
    static final String ENV_DRAIN_POLICY = "LIFECYCLE_DRAIN_POLICY";
    static final String ENV_READY_FILE_REFRESH_INTERVAL = "LIFECYCLE_READY_FILE_REFRESH_INTERVAL";
    static final String ENV_HEALTH_CHECK_TIMEOUT = "LIFECYCLE_HEALTH_CHECK_TIMEOUT";
    static final String ENV_HEALTH_CHECK_MAX_AGE = "LIFECYCLE_HEALTH_CHECK_MAX_AGE";
    static final String ENV_DRAIN_QUIET_PERIOD = "LIFECYCLE_DRAIN_QUIET_PERIOD";

    /** Below the kubelet's default {@code timeoutSeconds} of 1 s, leaving time for the probe's request itself. */
    static final Duration DEFAULT_HEALTH_CHECK_TIMEOUT = Duration.ofMillis(500);

    /** Every variable read at {@link #build()}; any other {@code LIFECYCLE_*} variable is a mistake. */
    static final List<String> SETTINGS = List.of(ENV_PRESTOP_DELAY, ENV_DRAIN_TIMEOUT, ENV_LONG_LIVED_DRAIN_TIMEOUT,
                                                 ENV_STOP_TIMEOUT, ENV_TERMINATION_GRACE_PERIOD, ENV_READY_FILE,
                                                 ENV_DRAIN_POLICY, ENV_READY_FILE_REFRESH_INTERVAL,
                                                 ENV_HEALTH_CHECK_TIMEOUT, ENV_HEALTH_CHECK_MAX_AGE,
                                                 ENV_DRAIN_QUIET_PERIOD);
    private static final String PREFIX = "LIFECYCLE_";
    /**
     * The variables Kubernetes injects for every Service of the namespace (enableServiceLinks, on by default): a
     * Service named {@code lifecycle-example} gives {@code LIFECYCLE_EXAMPLE_SERVICE_HOST},
     * {@code LIFECYCLE_EXAMPLE_PORT_80_TCP_ADDR} and the like.
     */
    private static final Pattern SERVICE_LINK = Pattern.compile(
            "[A-Z0-9_]+_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT(_[0-9]+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?)");

    private Duration preStopDelay = Duration.ZERO;
    private Duration drainTimeout = Duration.ofSeconds(20);
    private Duration longLivedDrainTimeout = Duration.ofSeconds(5);
    private Duration stopTimeout = Duration.ofSeconds(5);
    private Duration terminationGracePeriod = Duration.ofSeconds(30);
    private Duration retryAfter = Duration.ofSeconds(1);
    private DrainPolicy drainPolicy = DrainPolicy.SERVE_AND_CLOSE;
    private Duration drainQuietPeriod = Duration.ZERO;
    private Path readyFile;
    private Duration readyFileRefreshInterval = Duration.ofSeconds(1);
    private Duration healthCheckTimeout = DEFAULT_HEALTH_CHECK_TIMEOUT;
    private Duration healthCheckMaxAge = Duration.ofSeconds(1);
    private boolean describeRequests = true;
    private boolean shutdownHook;
    private Map<String, String> environment;
    private Ticker ticker = Ticker.SYSTEM;
    private final List<StartupTask> startupTasks = new ArrayList<>();
    private final Map<String, HealthCheck> livenessChecks = new LinkedHashMap<>();
    private final Map<String, HealthCheck> readinessChecks = new LinkedHashMap<>();

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
     * The pod's {@code terminationGracePeriodSeconds}: if pre-stop delay + drain timeout + stop timeouts leave less
     * than 10% of it, {@link Lifecycle#start()} logs a WARN, since Kubernetes would SIGKILL the process mid-shutdown;
     * the shutdown checks again, counting the stop actions registered since. Nothing else reads it. The default is
     * 30 seconds, Kubernetes' default.
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
     * Under {@link DrainPolicy#SERVE_AND_CLOSE}: how long admission stays open once the drain has begun and no request
     * is in flight; a request admitted meanwhile (served, with {@code Connection: close}) starts the period again. The
     * drain ends when a whole period passed with nothing in flight and nothing admitted, within the drain timeout.
     *
     * <p>HTTP/1.1 cannot close an idle keep-alive connection without a race: a pooled client may have written its
     * next request just as the server, at the drain's beginning, decides the connection is idle. Without a quiet
     * period, such a request, read a moment after the drain found nothing in flight, is refused ({@code 503}); with
     * one, it is served. A few hundred milliseconds cover a busy machine. The default is {@code 0} (admission closes
     * the moment nothing is in flight); the other policies refuse at once and ignore it.
     *
     * @throws IllegalArgumentException if negative
     */
    public LifecycleBuilder drainQuietPeriod(Duration drainQuietPeriod) {
        this.drainQuietPeriod = Durations.requireNonNegative("drainQuietPeriod", drainQuietPeriod);
        return this;
    }

    /**
     * A file that exists exactly while readiness is up (the service is ready and its readiness checks pass; see
     * {@link #readyFileRefreshInterval(Duration)}), for an exec readiness probe; it names the process that wrote it,
     * so that the probe the README documents rejects a file left by a killed process. A stale one is deleted at
     * {@link #build()}; at {@link Lifecycle#start()}, the directory must exist and be writable, and the path must not
     * be a directory. None by default.
     */
    public LifecycleBuilder readyFile(Path readyFile) {
        this.readyFile = requireNonNull(readyFile, "readyFile cannot be null");
        return this;
    }

    /**
     * How often, while a ready-file is configured and the service is ready, the readiness checks run in the
     * background: the file is deleted while one fails and written again once they all pass, so that an exec probe
     * reading the file agrees with the HTTP readiness probe even when nobody calls it. A readiness probe also brings
     * the file in line at once. The default is 1 second.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public LifecycleBuilder readyFileRefreshInterval(Duration readyFileRefreshInterval) {
        this.readyFileRefreshInterval = requirePositive("readyFileRefreshInterval", readyFileRefreshInterval);
        return this;
    }

    /**
     * The bound on one run of a health check: a check still running then is reported down
     * ({@code did not finish within 500 ms}) and interrupted, and the probe answers. Checks run on the lifecycle's
     * own daemon threads, at most one run per check at a time. Keep it below the probes' {@code timeoutSeconds}. The
     * default is 500 ms, below the kubelet's default timeout of 1 s.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public LifecycleBuilder healthCheckTimeout(Duration healthCheckTimeout) {
        this.healthCheckTimeout = requirePositive("healthCheckTimeout", healthCheckTimeout);
        return this;
    }

    /**
     * How long a health check's result is reused before the check runs again, so that many probes (the kubelet's,
     * a load balancer's, a dashboard's) run each check at most once per period. {@code 0} runs the check for every
     * probe, though never two runs of one check at once. The default is 1 second.
     *
     * @throws IllegalArgumentException if negative
     */
    public LifecycleBuilder healthCheckMaxAge(Duration healthCheckMaxAge) {
        this.healthCheckMaxAge = Durations.requireNonNegative("healthCheckMaxAge", healthCheckMaxAge);
        return this;
    }

    /**
     * Whether to keep each request's method, path and start time so that a drain timeout can name the requests still
     * in flight. Costs a few nanoseconds per request (a slot in a table, a start time read from a coarse clock that
     * one thread of the lifecycle ticks every 10 ms from the opening of admission to the end of the drain). The
     * default is {@code true}.
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
     * @throws IllegalArgumentException naming the setting and the value, for a bad environment override, an unknown
     *     {@code LIFECYCLE_*} variable (with the closest setting), a duplicate or unknown startup task name, or a
     *     cycle between startup tasks
     */
    public Lifecycle build() {
        Map<String, String> env = environment != null ? environment : System.getenv();
        rejectUnknownVariables(env);
        Duration preStop = duration(env, ENV_PRESTOP_DELAY, preStopDelay);
        Duration drain = duration(env, ENV_DRAIN_TIMEOUT, drainTimeout);
        Duration longLivedDrain = duration(env, ENV_LONG_LIVED_DRAIN_TIMEOUT, longLivedDrainTimeout);
        Duration stop = duration(env, ENV_STOP_TIMEOUT, stopTimeout);
        if (stop.isZero()) {
            throw new IllegalArgumentException(ENV_STOP_TIMEOUT + ": '" + env.get(ENV_STOP_TIMEOUT)
                                               + "' (expected: > 0)");
        }
        Duration gracePeriod = duration(env, ENV_TERMINATION_GRACE_PERIOD, terminationGracePeriod);
        String drainPolicyOverride = env.get(ENV_DRAIN_POLICY);
        DrainPolicy policy = drainPolicyOverride == null ? drainPolicy
                                                         : DrainPolicy.parse(ENV_DRAIN_POLICY, drainPolicyOverride);
        Duration quiet = duration(env, ENV_DRAIN_QUIET_PERIOD, drainQuietPeriod);
        Path ready = path(env, ENV_READY_FILE, readyFile);
        Duration readyFileRefresh = positiveDuration(env, ENV_READY_FILE_REFRESH_INTERVAL, readyFileRefreshInterval);
        Duration checkTimeout = positiveDuration(env, ENV_HEALTH_CHECK_TIMEOUT, healthCheckTimeout);
        Duration checkMaxAge = duration(env, ENV_HEALTH_CHECK_MAX_AGE, healthCheckMaxAge);
        checkTasks(startupTasks);
        return new Lifecycle(new LifecycleConfig(preStop, drain, longLivedDrain, stop, gracePeriod, retryAfter, policy,
                                                 quiet, ready, readyFileRefresh, checkTimeout, checkMaxAge, describeRequests,
                                                 shutdownHook, startupTasks, livenessChecks, readinessChecks, ticker));
    }

    /**
     * Test hook: the time the shutdown sequence's bounds are measured in, and health-check results age on. The
     * default is {@link Ticker#SYSTEM}.
     */
    LifecycleBuilder ticker(Ticker ticker) {
        this.ticker = requireNonNull(ticker, "ticker cannot be null");
        return this;
    }

    private static Duration positiveDuration(Map<String, String> env, String variable, Duration builderValue) {
        Duration duration = duration(env, variable, builderValue);
        if (duration.isZero()) {
            throw new IllegalArgumentException(variable + ": '" + env.get(variable) + "' (expected: > 0)");
        }
        return duration;
    }

    private static Path path(Map<String, String> env, String variable, Path builderValue) {
        String text = env.get(variable);
        if (text == null) {
            return builderValue;
        }
        if (text.isBlank()) {
            throw new IllegalArgumentException(variable + ": '" + text + "' (expected: a file path)");
        }
        try {
            return Path.of(text);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(variable + ": '" + text + "' (expected: a file path)", e);
        }
    }

    private static void rejectUnknownVariables(Map<String, String> env) {
        List<String> unknown = new ArrayList<>();
        for (String variable : new TreeSet<>(env.keySet())) {
            if (variable.startsWith(PREFIX) && !SETTINGS.contains(variable)
                && !SERVICE_LINK.matcher(variable).matches()) {
                unknown.add(variable + ": unknown setting (did you mean " + closestSetting(variable) + "?)");
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", unknown));
        }
    }

    /** The setting at the smallest edit distance from {@code variable}; the first listed wins a tie. */
    static String closestSetting(String variable) {
        String closest = SETTINGS.get(0);
        int best = Integer.MAX_VALUE;
        for (String setting : SETTINGS) {
            int distance = editDistance(variable, setting);
            if (distance < best) {
                best = distance;
                closest = setting;
            }
        }
        return closest;
    }

    /** Levenshtein distance: insertions, deletions and substitutions, one each. */
    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
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
