package dev.lifecycle.core;

import static java.util.Objects.requireNonNull;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
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
 * <li>the drain begins: under the {@link DrainPolicy drain policy}, new requests are served with
 *     {@code Connection: close} until none is in flight, or refused; long-lived requests are told to end;</li>
 * <li>in-flight requests drain, up to the drain timeout (a WARN names those still in flight);</li>
 * <li>stop actions run in reverse order of registration, each bounded;</li>
 * <li>state {@link State#STOPPED}.</li>
 * </ol>
 * Interrupting the thread that runs the sequence ends none of these waits early: the order and every bound are kept,
 * and the thread's interrupt flag is set again when the sequence has ended.
 */
public final class Lifecycle {

    private static final Logger logger = LoggerFactory.getLogger(Lifecycle.class);
    private static final int OLDEST_REPORTED = 10;

    private final LifecycleConfig config;
    private final Ticker ticker;
    /** Runs from the opening of admission to the end of the drain; {@code null} when not needed. */
    private final RequestClock requestClock;
    private final ReadyFile readyFile;
    private final HealthChecks healthChecks;
    private final InflightTracker tracker;
    private final ConnectionStats connections = new ConnectionStats();
    private final LocalResponse refusedStarting;
    private final LocalResponse refusedFailed;
    private final LocalResponse refusedDraining;
    private final StartupRun startup;
    private final StopActions stopActions;

    private final Object stateLock = new Object();
    private volatile State state = State.STARTING; // changed only by transition()
    // guarded by stateLock: the ready-file exists exactly while READY and the readiness checks' last result is up
    private boolean readinessChecksUp = true;
    private boolean readyFileWritten;
    private boolean readyFileWriteFailing; // logged once, not at every background round
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean shutdownStarted = new AtomicBoolean();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final CompletableFuture<Void> preStopDelayEnded = new CompletableFuture<>();
    private volatile Thread shutdownThread;
    private final Thread shutdownHook;
    private volatile Duration drainDuration;
    private volatile int budgetWarnedFor = -1;
    private int interruptsDuringShutdown; // only the shutdown thread reads and writes it

    Lifecycle(LifecycleConfig config) {
        this.config = config;
        ticker = config.ticker();
        readyFile = config.readyFile() == null ? null : new ReadyFile(config.readyFile());
        if (readyFile != null) {
            removeStaleReadyFile();
        }
        long retryAfterSeconds = retryAfterSeconds();
        refusedStarting = LocalResponse.refusal(503, "Service Unavailable", retryAfterSeconds, "starting");
        refusedFailed = LocalResponse.refusal(503, "Service Unavailable", retryAfterSeconds, "startup failed");
        refusedDraining = config.drainPolicy() == DrainPolicy.REJECT_429
                          ? LocalResponse.refusal(429, "Too Many Requests", retryAfterSeconds, "shutting down")
                          : LocalResponse.refusal(503, "Service Unavailable", retryAfterSeconds, "shutting down");
        healthChecks = new HealthChecks(config.livenessChecks(), config.readinessChecks(), config.healthCheckTimeout(),
                                        config.healthCheckMaxAge(), ticker::nanoTime);
        // A coarse clock stamps described requests, unless a test's ticker must (it controls their ages).
        requestClock = config.describeRequests() && ticker == Ticker.SYSTEM
                       ? new RequestClock("lifecycle-request-clock") : null;
        tracker = new InflightTracker(config.describeRequests(), ticker::nanoTime,
                                      requestClock != null ? requestClock : ticker::nanoTime, false,
                                      config.drainPolicy());
        startup = new StartupRun(config.startupTasks());
        stopActions = new StopActions(config.stopTimeout());
        shutdownHook = config.shutdownHook() ? new Thread(this::shutdown, "lifecycle-shutdown-hook") : null;
        if (shutdownHook != null) {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
    }

    /** Returns a new builder. */
    public static LifecycleBuilder builder() {
        return new LifecycleBuilder();
    }

    /**
     * Runs the startup tasks and makes the service ready: checks the ready-file's directory first (a stale file was
     * already removed at build), runs the tasks (independent ones in parallel), then, if all succeeded, opens
     * admission, writes the ready-file and turns readiness up. Call it after the HTTP port is open, so probes answer
     * while the tasks run.
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
                logger.error("Startup failed: {}", e.getMessage());
                transition(State.FAILED);
                throw new StartupException(e.getMessage(), null, e);
            }
        }
        warnIfOverGracePeriod(Math.max(1, stopActions.size()));
        logger.info("Starting: {} startup task(s)", startup.progress().size());
        try {
            startup.run();
        } catch (StartupException e) {
            transition(State.FAILED);
            throw e;
        }
        if (readyFile != null) {
            // The ready-file agrees with the readiness probe: not written while a readiness check fails.
            boolean up = allUp(healthChecks.await(false, true));
            synchronized (stateLock) {
                readinessChecksUp = up;
            }
        }
        if (transition(State.READY) != State.STARTING) {
            throw new StartupException("Startup was interrupted by shutdown", null, null);
        }
        logger.info("Ready in {}{}", Durations.formatNanos(System.nanoTime() - startNanos),
                    readyFile == null ? ""
                    : readyFileWritten() ? "; ready-file " + readyFile.path()
                    : "; ready-file " + readyFile.path() + " written once the readiness checks pass");
        if (readyFile != null && healthChecks.hasReadinessChecks()) {
            healthChecks.watchReadiness(config.readyFileRefreshInterval(), this::syncReadyFile);
        }
    }

    private boolean readyFileWritten() {
        synchronized (stateLock) {
            return readyFileWritten;
        }
    }

    private static boolean allUp(List<Health.Check> checks) {
        for (Health.Check check : checks) {
            if (!check.up()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Brings the ready-file in line with the readiness checks' latest result: present exactly while {@link
     * State#READY} and they pass. Called by each readiness probe and by the background rounds.
     */
    private void syncReadyFile(boolean checksUp) {
        if (readyFile == null) {
            return;
        }
        synchronized (stateLock) {
            readinessChecksUp = checksUp;
            boolean wanted = state == State.READY && checksUp;
            if (wanted == readyFileWritten) {
                return;
            }
            if (!wanted) {
                deleteReadyFile();
                logger.info("Readiness check(s) failing: ready-file {} deleted", readyFile.path());
                return;
            }
            try {
                readyFile.writeReady(Instant.now());
                readyFileWritten = true;
                readyFileWriteFailing = false;
                logger.info("Readiness checks pass again: ready-file {} written", readyFile.path());
            } catch (UncheckedIOException e) {
                if (!readyFileWriteFailing) {
                    readyFileWriteFailing = true;
                    logger.error("{}: an exec readiness probe sees the service as not ready; retrying", e.getMessage());
                }
            }
        }
    }

    /**
     * The one place the state changes, together with what must change atomically with it: becoming {@link
     * State#READY} writes the ready-file and opens admission; {@link State#DRAINING} and {@link State#STOPPED} delete
     * the ready-file, so that a concurrent {@code start()} can never write it after the drain began. Allowed:
     * STARTING to READY, FAILED or DRAINING; READY to DRAINING; DRAINING to STOPPED. Any other request leaves the
     * state as it is (a FAILED lifecycle stays FAILED through its shutdown).
     *
     * @return the state before the call; the transition happened if it is one of the allowed sources of {@code to}
     * @throws StartupException when the ready-file cannot be written on the way to READY (the state is then FAILED)
     */
    private State transition(State to) {
        synchronized (stateLock) {
            State from = state;
            boolean allowed = switch (to) {
                case READY, FAILED -> from == State.STARTING;
                case DRAINING -> from == State.STARTING || from == State.READY;
                case STOPPED -> from == State.DRAINING;
                case STARTING -> false;
            };
            boolean down = to == State.DRAINING || to == State.STOPPED;
            if (!allowed) {
                if (down) {
                    deleteReadyFile(); // in FAILED too: whatever the state, no ready-file once shutdown began
                }
                return from;
            }
            if (to == State.READY) {
                if (readyFile != null && readinessChecksUp) {
                    try {
                        readyFile.writeReady(Instant.now());
                        readyFileWritten = true;
                    } catch (UncheckedIOException e) {
                        state = State.FAILED;
                        logger.error("Startup failed: {}", e.getMessage());
                        throw new StartupException(e.getMessage(), null, e);
                    }
                }
                if (requestClock != null) {
                    requestClock.start();
                }
                tracker.open();
            }
            state = to;
            if (down) {
                // After the state: whoever sees the file gone also sees readiness down (the HTTP probe agrees).
                deleteReadyFile();
            }
            return from;
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
            if (current != shutdownThread && !stopActions.isRunning(current)) {
                awaitStopped();
            }
            return;
        }
        shutdownThread = Thread.currentThread();
        try {
            runShutdown();
        } finally {
            if (interruptsDuringShutdown > 0) {
                logger.warn("The shutdown thread was interrupted {} time(s); the sequence kept its order and bounds, "
                            + "and its interrupt flag is set again now", interruptsDuringShutdown);
                Thread.currentThread().interrupt();
            }
            removeShutdownHook();
            stopped.complete(null);
        }
    }

    /**
     * After a shutdown that the hook did not run (an undeployed WAR, a test, an application's own signal handling),
     * the hook would only hold this lifecycle, and its class loader, until the JVM exits: remove it.
     */
    private void removeShutdownHook() {
        Thread hook = shutdownHook;
        if (hook == null || Thread.currentThread() == hook) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down already: the hook runs, sees the sequence done, and returns
        }
    }

    /** The shutdown sequence, top to bottom. */
    private void runShutdown() {
        long startNanos = ticker.nanoTime();
        warnIfOverGracePeriod(stopActions.size());
        State previous = transition(State.DRAINING); // readiness down, ready-file deleted
        switch (previous) {
            case STARTING -> cancelStartup();
            case READY -> servePreStopDelay();
            default -> logger.info("Shutdown in state {}", previous);
        }
        long drainStart = ticker.nanoTime();
        beginDrain();
        drain();
        if (requestClock != null) {
            requestClock.stop(); // the drain is over: no request is described from now on
        }
        drainDuration = Duration.ofNanos(ticker.nanoTime() - drainStart);
        stopActions.runAll(this::await, ticker);
        transition(State.STOPPED);
        healthChecks.close();
        logger.info("Stopped in {}", Durations.formatNanos(ticker.nanoTime() - startNanos));
    }

    private void cancelStartup() {
        logger.info("Shutdown during startup: interrupting startup tasks; the service never became ready");
        startup.cancel(new StartupException("Startup was interrupted by shutdown", null, null));
        await(startup.tasksEnded(), config.stopTimeout());
        List<String> running = startup.stillRunning();
        if (!running.isEmpty()) {
            logger.warn("Startup task(s) {} still running {} after being interrupted; going on", running,
                        Durations.format(config.stopTimeout()));
        }
    }

    private void servePreStopDelay() {
        Duration delay = config.preStopDelay();
        logger.info("Draining: readiness down{}", delay.isZero() ? ""
                : "; serving for the pre-stop delay of " + Durations.format(delay));
        // Waiting out the delay is the behaviour: the service keeps serving while load balancers catch up.
        await(preStopDelayEnded, delay);
    }

    private void beginDrain() {
        long longLived = tracker.longLived(); // before the close, whose drain signal may end them at once
        tracker.close(holdsQuietPeriod());
        logger.info("Drain began ({}): {} request(s) in flight{} (timeout {}{})", config.drainPolicy().value(),
                    tracker.inflight(), longLived == 0 ? "" : " and " + longLived + " long-lived",
                    Durations.format(config.drainTimeout()),
                    holdsQuietPeriod() ? ", quiet period " + Durations.format(config.drainQuietPeriod()) : "");
    }

    private boolean holdsQuietPeriod() {
        return config.drainPolicy() == DrainPolicy.SERVE_AND_CLOSE && !config.drainQuietPeriod().isZero();
    }

    /**
     * The quiet period: admission stays open until a whole period passed with nothing in flight and nothing
     * admitted, or until {@code deadline}; then the tracker may close admission.
     */
    private void serveQuietPeriod(long deadline) {
        long period = config.drainQuietPeriod().toNanos();
        CompletableFuture<Void> never = new CompletableFuture<>();
        while (true) {
            long served = tracker.servedWhileDraining();
            long left = deadline - ticker.nanoTime();
            if (left <= 0) {
                break;
            }
            await(never, Duration.ofNanos(Math.min(period, left)));
            if (tracker.isIdle() && tracker.servedWhileDraining() == served) {
                break;
            }
        }
        tracker.releaseHold();
    }

    private void drain() {
        long drainStart = ticker.nanoTime();
        if (holdsQuietPeriod()) {
            serveQuietPeriod(drainStart + config.drainTimeout().toNanos());
        }
        Duration drainLeft = config.drainTimeout().minusNanos(ticker.nanoTime() - drainStart);
        boolean drained = await(tracker.drained(), drainLeft.isNegative() ? Duration.ZERO : drainLeft);
        Duration left = config.longLivedDrainTimeout().minusNanos(ticker.nanoTime() - drainStart);
        boolean longLivedDrained = await(tracker.longLivedDrained(), left.isNegative() ? Duration.ZERO : left);
        if (drained && longLivedDrained) {
            logger.info("Drained in {}: {} request(s) served during the drain, {} refused in all; connections closed: "
                        + "{} idle, {} after a response", Durations.formatNanos(ticker.nanoTime() - drainStart),
                        tracker.servedWhileDraining(), tracker.refused(), connections.closedIdleCount(),
                        connections.closedAfterResponseCount());
            return;
        }
        List<String> oldest = tracker.describeOldest(OLDEST_REPORTED);
        String which = oldest.isEmpty()
                       ? (tracker.describesRequests() ? "" : "; enable describeRequests to see which")
                       : "; oldest: " + String.join(", ", oldest);
        logger.warn("Drain timed out after {} with {} request(s) and {} long-lived request(s) still in flight{}",
                    Durations.formatNanos(ticker.nanoTime() - drainStart), tracker.inflight(), tracker.longLived(),
                    which);
    }

    /**
     * Waits for {@code event}, at most {@code timeout} on the ticker, whatever interrupts the shutdown thread gets:
     * an interrupt neither ends a wait early nor skips the next one (a stop action would start while the one before
     * still runs). It is counted and the flag set again once the sequence has ended, for the caller to see.
     *
     * @return whether {@code event} completed
     */
    private boolean await(CompletableFuture<?> event, Duration timeout) {
        long deadline = ticker.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                return ticker.await(event, deadline - ticker.nanoTime());
            } catch (InterruptedException e) {
                interruptsDuringShutdown++; // the flag is clear again: the next round waits
            }
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

    /**
     * Logs a WARN when the longest possible shutdown leaves less than a 10% margin of the termination grace period:
     * the pod would be SIGKILLed in the last stop action, or close enough that a slow disk or a GC pause gets it
     * there. Checked at start (counting at least one stop action, the server's, usually registered later) and again
     * when the shutdown begins, with the stop actions actually registered; the same budget warns once.
     */
    private void warnIfOverGracePeriod(int stopActionCount) {
        Duration drain = config.longestDrain();
        Duration budget = config.preStopDelay().plus(drain).plus(config.stopTimeout().multipliedBy(stopActionCount));
        Duration gracePeriod = config.terminationGracePeriod();
        // budget > 90% of the grace period, in integer arithmetic: budget x 10 > grace x 9
        if (budget.multipliedBy(10).compareTo(gracePeriod.multipliedBy(9)) <= 0
            || budgetWarnedFor == stopActionCount) {
            return;
        }
        budgetWarnedFor = stopActionCount;
        long minimumSeconds = (budget.toMillis() * 10 + 8_999) / 9_000; // ceil(budget / 0.9), in seconds
        logger.warn("Shutdown may take up to {} (pre-stop delay {} + drain {} + {} stop action(s) x {}), which leaves "
                    + "less than 10% of the termination grace period of {}: raise the pod's "
                    + "terminationGracePeriodSeconds to at least {} (and set LIFECYCLE_TERMINATION_GRACE_PERIOD to "
                    + "match), or Kubernetes may SIGKILL the process mid-shutdown",
                    Durations.format(budget), Durations.format(config.preStopDelay()), Durations.format(drain),
                    stopActionCount, Durations.format(config.stopTimeout()), Durations.format(gracePeriod),
                    minimumSeconds);
    }

    /**
     * A file left by a killed process would make an exec probe that only checks existence report this one ready, its
     * port still closed: remove it at once. A failure is reported again, as a startup failure, by {@link #start()}.
     */
    private void removeStaleReadyFile() {
        try {
            readyFile.removeStale();
        } catch (UncheckedIOException e) {
            logger.error("{}: an exec readiness probe may see the service as ready before it is", e.getMessage());
        }
    }

    // guarded by stateLock
    private void deleteReadyFile() {
        if (readyFile != null) {
            readyFileWritten = false;
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
        stopActions.add(name, action);
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
        Duration retryAfter = config.retryAfter();
        return retryAfter.getSeconds() + (retryAfter.getNano() == 0 ? 0 : 1);
    }

    /** The drain policy: what a request that arrives after the drain began gets. */
    public DrainPolicy drainPolicy() {
        return config.drainPolicy();
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
     * {@code Cache-Control: no-store}; the connection closes while draining. Waits for the checks that the probe
     * depends on, at most the health-check timeout (see {@link #health(Probe)}): adapters on an event loop use
     * {@link #probeResponseAsync(Probe, boolean)}.
     *
     * @param showDetails whether the body shows the checks' error messages (they may reveal internals)
     */
    public LocalResponse probeResponse(Probe probe, boolean showDetails) {
        requireNonNull(probe, "probe cannot be null");
        return probeResponse(probe, health(probe), showDetails);
    }

    /**
     * {@link #probeResponse(Probe, boolean)} without blocking: completes within the health-check timeout, on one of
     * the lifecycle's threads (or at once when the results are cached), never exceptionally.
     *
     * @param showDetails whether the body shows the checks' error messages (they may reveal internals)
     */
    public CompletionStage<LocalResponse> probeResponseAsync(Probe probe, boolean showDetails) {
        requireNonNull(probe, "probe cannot be null");
        return healthAsync(probe).thenApply(health -> probeResponse(probe, health, showDetails));
    }

    private LocalResponse probeResponse(Probe probe, Health health, boolean showDetails) {
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

    /**
     * A snapshot with every check run. Like {@link #health(Probe)}, it returns within the health-check timeout.
     */
    public Health health() {
        return snapshot(healthChecks.await(true, true));
    }

    /**
     * A snapshot with only the checks that {@code probe} depends on run: liveness checks, readiness checks, none.
     * Returns within the health-check timeout ({@link LifecycleBuilder#healthCheckTimeout(Duration)}) whatever the
     * checks do, with a result at most {@link LifecycleBuilder#healthCheckMaxAge(Duration)} old; the checks run on
     * the lifecycle's threads, never on the caller's. If the calling thread is interrupted meanwhile, the checks not
     * finished yet are reported down and its interrupt flag stays set. A readiness snapshot also brings the
     * ready-file in line with it.
     */
    public Health health(Probe probe) {
        Health health = snapshot(healthChecks.await(probe == Probe.LIVENESS, probe == Probe.READINESS));
        if (probe == Probe.READINESS) {
            syncReadyFile(allUp(health.checks()));
        }
        return health;
    }

    /**
     * {@link #health(Probe)} without blocking, for adapters on an event loop: completes within the health-check
     * timeout, on one of the lifecycle's threads (or at once with cached results), never exceptionally.
     */
    public CompletionStage<Health> healthAsync(Probe probe) {
        requireNonNull(probe, "probe cannot be null");
        return healthChecks.run(probe == Probe.LIVENESS, probe == Probe.READINESS).thenApply(checks -> {
            Health health = snapshot(checks);
            if (probe == Probe.READINESS) {
                syncReadyFile(allUp(checks));
            }
            return health;
        });
    }

    private Health snapshot(List<Health.Check> checks) {
        return new Health(state, checks, startup.snapshot(), tracker.inflight(), tracker.longLived());
    }

    List<Health.Task> tasks() {
        return startup.snapshot();
    }

    Duration preStopDelay() {
        return config.preStopDelay();
    }

    /** The settings, for tests. */
    LifecycleConfig config() {
        return config;
    }

    Duration drainTimeout() {
        return config.drainTimeout();
    }

    Duration longLivedDrainTimeout() {
        return config.longLivedDrainTimeout();
    }

    Duration stopTimeout() {
        return config.stopTimeout();
    }

    Duration terminationGracePeriod() {
        return config.terminationGracePeriod();
    }

    /** The JVM shutdown hook, if {@code shutdownHook(true)}; for tests. */
    RequestClock requestClock() {
        return requestClock;
    }

    Thread shutdownHook() {
        return shutdownHook;
    }

    /** Ends a running pre-stop delay early: lets tests observe the delay without waiting it out. */
    void endPreStopDelay() {
        preStopDelayEnded.complete(null);
    }

    @Override
    public String toString() {
        return "Lifecycle[" + state + ", inflight=" + tracker.inflight() + ']';
    }
}
