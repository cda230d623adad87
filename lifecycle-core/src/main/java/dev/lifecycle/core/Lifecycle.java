package dev.lifecycle.core;

import static java.util.Objects.requireNonNull;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.lifecycle.core.internal.Durations;
import dev.lifecycle.core.internal.ReadyFile;

/**
 * The lifecycle of one service: startup tasks that gate readiness, probes, a ready-file, the in-flight request
 * tracker, and the graceful shutdown sequence.
 *
 * <pre>{@code
 * Lifecycle lifecycle = Lifecycle.builder()
 *         .startupTask(StartupTask.of("migrations", flyway::migrate))
 *         .preStopDelay(Duration.ofSeconds(5))
 *         .shutdownHook(true)
 *         .build();
 * server.start();      // open the port first: probes answer while startup tasks run
 * lifecycle.start();   // runs the tasks; READY when all succeeded, StartupException otherwise
 * lifecycle.addStopAction("http server", server::stop);
 * }</pre>
 *
 * <h2>Shutdown</h2>
 * {@link #shutdown()} (or SIGTERM, with the shutdown hook) runs, once:
 * <ol>
 * <li>readiness down: state {@link State#DRAINING}, ready-file deleted, readiness probe 503; liveness stays up;</li>
 * <li>the pre-stop delay, serving as usual while load balancers stop sending new connections; adapters add
 *     {@code Connection: close} to responses so keep-alive clients move to another replica;</li>
 * <li>admission closes: new requests get 503, long-lived requests are told to end;</li>
 * <li>in-flight requests drain, up to the drain timeout (a WARN names those still in flight);</li>
 * <li>stop actions run in reverse order of registration, each bounded;</li>
 * <li>state {@link State#STOPPED}.</li>
 * </ol>
 */
public final class Lifecycle {

    private static final Logger logger = LoggerFactory.getLogger(Lifecycle.class);
    private static final int OLDEST_REPORTED = 10;

    private final Duration preStopDelay;
    private final Duration drainTimeout;
    private final Duration longLivedDrainTimeout;
    private final Duration stopTimeout;
    private final Duration terminationGracePeriod;
    private final Duration retryAfter;
    private final DrainPolicy drainPolicy;
    private final ReadyFile readyFile;
    private final Map<String, HealthCheck> livenessChecks;
    private final Map<String, HealthCheck> readinessChecks;
    private final InflightTracker tracker;
    private final ConnectionStats connections = new ConnectionStats();
    private final LocalResponse refusedStarting;
    private final LocalResponse refusedFailed;
    private final LocalResponse refusedDraining;
    private final StartupRun startup;
    private final List<NamedStopAction> stopActions = new CopyOnWriteArrayList<>();

    private final Object stateLock = new Object();
    private volatile State state = State.STARTING;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean shutdownStarted = new AtomicBoolean();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final CountDownLatch preStopInterrupt = new CountDownLatch(1);
    private volatile Thread shutdownThread;
    private volatile Thread stopActionThread;
    private volatile Duration drainDuration;

    private record NamedStopAction(String name, StopAction action) {
    }

    Lifecycle(LifecycleBuilder config) {
        preStopDelay = config.preStopDelay;
        drainTimeout = config.drainTimeout;
        longLivedDrainTimeout = config.longLivedDrainTimeout;
        stopTimeout = config.stopTimeout;
        terminationGracePeriod = config.terminationGracePeriod;
        retryAfter = config.retryAfter;
        drainPolicy = config.drainPolicy;
        long retryAfterSeconds = retryAfterSeconds();
        refusedStarting = LocalResponse.refusal(503, "Service Unavailable", retryAfterSeconds, "starting");
        refusedFailed = LocalResponse.refusal(503, "Service Unavailable", retryAfterSeconds, "startup failed");
        refusedDraining = drainPolicy == DrainPolicy.REJECT_429
                          ? LocalResponse.refusal(429, "Too Many Requests", retryAfterSeconds, "shutting down")
                          : LocalResponse.refusal(503, "Service Unavailable", retryAfterSeconds, "shutting down");
        readyFile = config.readyFile == null ? null : new ReadyFile(config.readyFile);
        livenessChecks = Map.copyOf(config.livenessChecks);
        readinessChecks = Map.copyOf(config.readinessChecks);
        tracker = new InflightTracker(config.describeRequests, System::nanoTime, false, drainPolicy);
        startup = new StartupRun(config.startupTasks);
        if (config.shutdownHook) {
            Runtime.getRuntime().addShutdownHook(new Thread(this::shutdown, "lifecycle-shutdown-hook"));
        }
    }

    /** Returns a new builder. */
    public static LifecycleBuilder builder() {
        return new LifecycleBuilder();
    }

    /**
     * Runs the startup tasks and makes the service ready: removes a stale ready-file and checks its directory first,
     * runs the tasks (independent ones in parallel), then, if all succeeded, opens admission, writes the ready-file
     * and turns readiness up. Call it after the HTTP port is open, so probes answer while the tasks run.
     *
     * @throws StartupException if a task failed or timed out (state {@link State#FAILED}, logged at ERROR with the
     *     task's name), if the ready-file cannot be written, or if shutdown began meanwhile
     * @throws IllegalStateException if called twice
     */
    public void start() {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("start() was already called");
        }
        if (shutdownStarted.get()) {
            throw new StartupException("Startup was interrupted by shutdown", null, null);
        }
        long startNanos = System.nanoTime();
        if (readyFile != null) {
            try {
                readyFile.prepare();
            } catch (UncheckedIOException e) {
                fail(e.getMessage());
                throw new StartupException(e.getMessage(), null, e);
            }
        }
        warnIfOverGracePeriod();
        logger.info("Starting: {} startup task(s)", startup.progress().size());
        try {
            startup.run();
        } catch (StartupException e) {
            fail(null);
            throw e;
        }
        synchronized (stateLock) {
            if (state != State.STARTING) {
                throw new StartupException("Startup was interrupted by shutdown", null, null);
            }
            if (readyFile != null) {
                try {
                    readyFile.write("ready " + Instant.now() + '\n');
                } catch (UncheckedIOException e) {
                    state = State.FAILED;
                    logger.error("Startup failed: {}", e.getMessage());
                    throw new StartupException(e.getMessage(), null, e);
                }
            }
            tracker.open();
            state = State.READY;
        }
        logger.info("Ready in {}{}", Durations.formatNanos(System.nanoTime() - startNanos),
                    readyFile == null ? "" : "; ready-file " + readyFile.path());
    }

    private void fail(String reason) {
        synchronized (stateLock) {
            if (state == State.STARTING) {
                state = State.FAILED;
            }
        }
        if (reason != null) {
            logger.error("Startup failed: {}", reason);
        }
    }

    private void warnIfOverGracePeriod() {
        int actions = Math.max(1, stopActions.size());
        Duration budget = preStopDelay.plus(drainTimeout.compareTo(longLivedDrainTimeout) >= 0
                                                    ? drainTimeout : longLivedDrainTimeout)
                                      .plus(stopTimeout.multipliedBy(actions));
        if (budget.compareTo(terminationGracePeriod) > 0) {
            logger.warn("Shutdown may take up to {} (pre-stop delay {} + drain {} + {} stop action(s) x {}), more than "
                        + "the termination grace period of {}: raise the pod's terminationGracePeriodSeconds to at "
                        + "least {} (and set LIFECYCLE_TERMINATION_GRACE_PERIOD to match), or Kubernetes will SIGKILL "
                        + "the process mid-shutdown",
                        Durations.format(budget), Durations.format(preStopDelay),
                        Durations.format(drainTimeout.compareTo(longLivedDrainTimeout) >= 0
                                                 ? drainTimeout : longLivedDrainTimeout),
                        actions, Durations.format(stopTimeout), Durations.format(terminationGracePeriod),
                        (budget.toMillis() + 999) / 1000);
        }
    }

    /**
     * Runs the shutdown sequence (see the class comment) and returns when it has finished. Idempotent and
     * thread-safe: a second call, from any thread, waits for the first one's sequence (or until that thread is
     * interrupted, leaving its interrupt flag set); a call from the sequence itself, such as a stop action, returns at
     * once. During {@link State#STARTING}, the running startup tasks are interrupted, waited for (at most the stop
     * timeout) and the service stops without ever becoming ready: {@link #start()} throws a {@link StartupException}.
     */
    public void shutdown() {
        if (!shutdownStarted.compareAndSet(false, true)) {
            Thread current = Thread.currentThread();
            if (current != shutdownThread && current != stopActionThread) {
                awaitStopped();
            }
            return;
        }
        shutdownThread = Thread.currentThread();
        try {
            runShutdown();
        } finally {
            stopped.complete(null);
        }
    }

    private void awaitStopped() {
        try {
            stopped.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e); // never completed exceptionally
        }
    }

    private void runShutdown() {
        long startNanos = System.nanoTime();
        State previous;
        synchronized (stateLock) {
            previous = state;
            if (previous == State.STARTING || previous == State.READY) {
                state = State.DRAINING;
            }
            deleteReadyFile();
        }
        if (previous == State.STARTING) {
            logger.info("Shutdown during startup: interrupting startup tasks; the service never became ready");
            startup.cancel(new StartupException("Startup was interrupted by shutdown", null, null));
            List<String> running = startup.awaitTasksEnded(stopTimeout);
            if (!running.isEmpty()) {
                logger.warn("Startup task(s) {} still running {} after being interrupted; going on", running,
                            Durations.format(stopTimeout));
            }
        } else if (previous == State.READY) {
            logger.info("Draining: readiness down{}", preStopDelay.isZero() ? ""
                    : "; serving for the pre-stop delay of " + Durations.format(preStopDelay));
            awaitPreStopDelay();
        } else {
            logger.info("Shutdown in state {}", previous);
        }

        long drainStart = System.nanoTime();
        long longLived = tracker.longLived(); // before the close, whose drain signal may end them at once
        tracker.close();
        long inflight = tracker.inflight();
        logger.info("Drain began ({}): {} request(s) in flight{} (timeout {})", drainPolicy.value(), inflight,
                    longLived == 0 ? "" : " and " + longLived + " long-lived", Durations.format(drainTimeout));
        drain();
        drainDuration = Duration.ofNanos(System.nanoTime() - drainStart);

        runStopActions();
        synchronized (stateLock) {
            if (state != State.FAILED) {
                state = State.STOPPED;
            }
            deleteReadyFile();
        }
        logger.info("Stopped in {}", Durations.formatNanos(System.nanoTime() - startNanos));
    }

    private void awaitPreStopDelay() {
        try {
            // Waiting out the delay is the behaviour: the service keeps serving while load balancers catch up.
            preStopInterrupt.await(preStopDelay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void drain() {
        long drainStart = System.nanoTime();
        boolean drained;
        boolean longLivedDrained;
        try {
            drained = tracker.awaitDrained(drainTimeout);
            Duration left = longLivedDrainTimeout.minusNanos(System.nanoTime() - drainStart);
            longLivedDrained = tracker.awaitLongLivedDrained(left.isNegative() ? Duration.ZERO : left);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            drained = tracker.inflight() == 0;
            longLivedDrained = tracker.longLived() == 0;
        }
        if (drained && longLivedDrained) {
            logger.info("Drained in {}: {} request(s) served during the drain, {} refused in all; connections closed: "
                        + "{} idle, {} after a response", Durations.formatNanos(System.nanoTime() - drainStart),
                        tracker.servedWhileDraining(), tracker.refused(), connections.closedIdleCount(),
                        connections.closedAfterResponseCount());
            return;
        }
        List<String> oldest = tracker.describeOldest(OLDEST_REPORTED);
        String which = oldest.isEmpty()
                       ? (tracker.describesRequests() ? "" : "; enable describeRequests to see which")
                       : "; oldest: " + String.join(", ", oldest);
        logger.warn("Drain timed out after {} with {} request(s) and {} long-lived request(s) still in flight{}",
                    Durations.formatNanos(System.nanoTime() - drainStart), tracker.inflight(), tracker.longLived(),
                    which);
    }

    private void runStopActions() {
        List<NamedStopAction> actions = new ArrayList<>(stopActions);
        for (int i = actions.size() - 1; i >= 0; i--) {
            NamedStopAction named = actions.get(i);
            long actionStart = System.nanoTime();
            CompletableFuture<Void> done = new CompletableFuture<>();
            Thread thread = new Thread(() -> {
                try {
                    named.action().stop();
                    done.complete(null);
                } catch (Throwable t) {
                    done.completeExceptionally(t);
                }
            }, "lifecycle-stop-" + named.name());
            thread.setDaemon(true);
            stopActionThread = thread;
            thread.start();
            try {
                done.get(stopTimeout.toNanos(), TimeUnit.NANOSECONDS);
                logger.info("Stop action '{}' done in {}", named.name(),
                            Durations.formatNanos(System.nanoTime() - actionStart));
            } catch (TimeoutException e) {
                logger.warn("Stop action '{}' did not finish within {}; interrupting it and going on", named.name(),
                            Durations.format(stopTimeout));
                thread.interrupt();
            } catch (ExecutionException e) {
                logger.warn("Stop action '{}' failed; going on", named.name(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                logger.warn("Interrupted while waiting for stop action '{}'; going on", named.name());
            }
        }
        stopActionThread = null;
    }

    private void deleteReadyFile() {
        if (readyFile != null) {
            try {
                readyFile.delete();
            } catch (UncheckedIOException e) {
                logger.error("{}: an exec readiness probe may still see the service as ready", e.getMessage());
            }
        }
    }

    /**
     * Registers an action to run at the end of shutdown, after the drain; actions run in the reverse order of
     * registration, each bounded by the stop timeout.
     */
    public void addStopAction(String name, StopAction action) {
        requireNonNull(name, "name cannot be null");
        requireNonNull(action, "action cannot be null");
        stopActions.add(new NamedStopAction(name, action));
    }

    /** The current state. */
    public State state() {
        return state;
    }

    /** The in-flight request tracker that server adapters use. */
    public InflightTracker tracker() {
        return tracker;
    }

    /**
     * Whether responses should carry {@code Connection: close}: from the start of the drain on, so that keep-alive
     * clients reconnect, through the load balancer, to a replica that stays.
     */
    public boolean isDraining() {
        State current = state;
        return current == State.DRAINING || current == State.STOPPED;
    }

    /**
     * The {@code Retry-After} to send with a 503 to a refused request, in whole seconds: {@link
     * LifecycleBuilder#retryAfter(Duration)} rounded up, so that a sub-second setting never becomes {@code 0}.
     */
    public long retryAfterSeconds() {
        return retryAfter.getSeconds() + (retryAfter.getNano() == 0 ? 0 : 1);
    }

    /** The drain policy: what a request that arrives after the drain began gets. */
    public DrainPolicy drainPolicy() {
        return drainPolicy;
    }

    /**
     * The answer to a request that {@link InflightTracker#tryEnter(String, String)} refused: {@code 503} (or
     * {@code 429} under {@link DrainPolicy#REJECT_429} while draining) with {@code Retry-After}, a plain-text body
     * naming the reason (starting, startup failed, shutting down), and the connection closed. Allocates nothing.
     */
    public LocalResponse refusal() {
        State current = state;
        if (current == State.STARTING && !tracker.isDraining()) {
            return refusedStarting;
        }
        if (current == State.FAILED) {
            return refusedFailed;
        }
        return refusedDraining;
    }

    /**
     * The answer to a {@code GET} or {@code HEAD} of {@code probe}'s path: {@code 200} when the probe is up,
     * {@code 503} otherwise, with the {@link Health#toJson(Probe, boolean) health JSON} and
     * {@code Cache-Control: no-store}; the connection closes while draining. Runs the checks that the probe depends
     * on, so it may block: adapters on an event loop call it elsewhere.
     *
     * @param showDetails whether the body shows the checks' error messages (they may reveal internals)
     */
    public LocalResponse probeResponse(Probe probe, boolean showDetails) {
        requireNonNull(probe, "probe cannot be null");
        Health health = health(probe);
        return LocalResponse.probe(health.isUp(probe), health.toJson(probe, showDetails), isDraining());
    }

    /** What the drain did to connections, as reported by the server adapter. */
    public ConnectionStats connections() {
        return connections;
    }

    /** How long the drain took, once it has finished. */
    public Optional<Duration> drainDuration() {
        return Optional.ofNullable(drainDuration);
    }

    /** The ready-file's path, if one is configured. */
    public Optional<Path> readyFile() {
        return readyFile == null ? Optional.empty() : Optional.of(readyFile.path());
    }

    /** A snapshot with every check run. */
    public Health health() {
        return snapshot(true, true);
    }

    /** A snapshot with only the checks that {@code probe} depends on run: liveness checks, readiness checks, none. */
    public Health health(Probe probe) {
        return snapshot(probe == Probe.LIVENESS, probe == Probe.READINESS);
    }

    private Health snapshot(boolean liveness, boolean readiness) {
        State current = state;
        List<Health.Check> checks = new ArrayList<>();
        if (liveness) {
            runChecks(livenessChecks, Health.CheckKind.LIVENESS, checks);
        }
        if (readiness) {
            runChecks(readinessChecks, Health.CheckKind.READINESS, checks);
        }
        return new Health(current, checks, startup.snapshot(), tracker.inflight(), tracker.longLived());
    }

    private static void runChecks(Map<String, HealthCheck> checks, Health.CheckKind kind, List<Health.Check> out) {
        checks.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            boolean up;
            String error = null;
            try {
                up = e.getValue().isHealthy();
                if (!up) {
                    error = "check returned false";
                }
            } catch (Exception ex) {
                up = false;
                error = String.valueOf(ex);
            }
            out.add(new Health.Check(e.getKey(), kind, up, error));
        });
    }

    List<Health.Task> tasks() {
        return startup.snapshot();
    }

    Duration preStopDelay() {
        return preStopDelay;
    }

    Duration drainTimeout() {
        return drainTimeout;
    }

    Duration longLivedDrainTimeout() {
        return longLivedDrainTimeout;
    }

    Duration stopTimeout() {
        return stopTimeout;
    }

    Duration terminationGracePeriod() {
        return terminationGracePeriod;
    }

    /** Ends a running pre-stop delay early: lets tests observe the delay without waiting it out. */
    void endPreStopDelay() {
        preStopInterrupt.countDown();
    }

    @Override
    public String toString() {
        return "Lifecycle[" + state + ", inflight=" + tracker.inflight() + ']';
    }
}
