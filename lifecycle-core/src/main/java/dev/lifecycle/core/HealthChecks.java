package dev.lifecycle.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.lifecycle.core.internal.Durations;

/**
 * Runs the liveness and readiness checks for the probes: bounded, cached, never on the caller's thread.
 *
 * <p>Each check has at most one run at a time, on a daemon {@code lifecycle-health-N} thread of its own (the pool
 * grows to at most one thread per check), so a hung readiness check never delays a liveness check, and a hung check
 * never holds more than one thread. A run's outcome is decided at the latest when the timeout passes: the check is
 * then reported down ({@code did not finish within 500 ms}) and its thread interrupted; while it still runs, later
 * probes get that answer at once instead of starting another run. A result younger than the maximum age (read on the
 * ticker) is reused, so a probe storm runs each check at most once per period, and concurrent probes of a stale
 * check share its one run. A check that turns down is logged once at WARN with its error, and once at INFO when it
 * passes again.
 *
 * <p>{@link #close()}, at the end of the shutdown, stops the threads; probes then get the last results.
 */
final class HealthChecks implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(HealthChecks.class);
    private static final long IDLE_THREAD_KEEP_ALIVE_SECONDS = 60;

    private final List<Entry> liveness;
    private final List<Entry> readiness;
    private final Duration timeout;
    private final long maxAgeNanos;
    private final LongSupplier ticker;
    private final ThreadPoolExecutor runner;
    private final ScheduledThreadPoolExecutor timer;
    private volatile boolean closed;

    HealthChecks(Map<String, HealthCheck> livenessChecks, Map<String, HealthCheck> readinessChecks, Duration timeout,
                 Duration maxAge, LongSupplier ticker) {
        this.liveness = entries(livenessChecks, Health.CheckKind.LIVENESS);
        this.readiness = entries(readinessChecks, Health.CheckKind.READINESS);
        this.timeout = timeout;
        this.maxAgeNanos = maxAge.toNanos();
        this.ticker = ticker;
        // No core thread, no queue: a thread per run, reused while runs follow one another, and never more threads
        // than checks since a check has at most one run at a time.
        runner = new ThreadPoolExecutor(0, Integer.MAX_VALUE, IDLE_THREAD_KEEP_ALIVE_SECONDS, TimeUnit.SECONDS,
                                        new SynchronousQueue<>(), daemonThreads("lifecycle-health-"));
        timer = new ScheduledThreadPoolExecutor(1, daemonThreads("lifecycle-health-timer-"));
        timer.setRemoveOnCancelPolicy(true);
        timer.setKeepAliveTime(IDLE_THREAD_KEEP_ALIVE_SECONDS, TimeUnit.SECONDS);
        timer.allowCoreThreadTimeOut(true);
    }

    private List<Entry> entries(Map<String, HealthCheck> checks, Health.CheckKind kind) {
        List<Entry> entries = new ArrayList<>();
        checks.forEach((name, check) -> entries.add(new Entry(name, kind, check)));
        entries.sort(Comparator.comparing(e -> e.name));
        return List.copyOf(entries);
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * Starts (or reuses) the runs of the liveness and/or readiness checks; the future completes within the timeout
     * with every check's result, liveness checks first, each kind by name.
     */
    CompletableFuture<List<Health.Check>> run(boolean livenessChecks, boolean readinessChecks) {
        List<CompletableFuture<Health.Check>> outcomes = selected(livenessChecks, readinessChecks).stream()
                                                                                                 .map(Entry::outcome)
                                                                                                 .toList();
        if (outcomes.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        return CompletableFuture.allOf(outcomes.toArray(new CompletableFuture<?>[0]))
                                .thenApply(ignored -> outcomes.stream().map(CompletableFuture::join).toList());
    }

    /**
     * Like {@link #run(boolean, boolean)}, waiting for the results. If the calling thread is interrupted, the checks
     * not finished yet are reported down and the thread's interrupt flag is set again.
     */
    List<Health.Check> await(boolean livenessChecks, boolean readinessChecks) {
        List<Entry> entries = selected(livenessChecks, readinessChecks);
        List<CompletableFuture<Health.Check>> outcomes = entries.stream().map(Entry::outcome).toList();
        List<Health.Check> checks = new ArrayList<>(outcomes.size());
        boolean interrupted = false;
        for (int i = 0; i < outcomes.size(); i++) {
            CompletableFuture<Health.Check> outcome = outcomes.get(i);
            if (!interrupted) {
                try {
                    checks.add(outcome.get());
                    continue;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw new IllegalStateException(e); // outcomes never complete exceptionally
                }
            }
            checks.add(outcome.getNow(entries.get(i).down("not finished: the probe was interrupted")));
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return checks;
    }

    private List<Entry> selected(boolean livenessChecks, boolean readinessChecks) {
        if (livenessChecks && readinessChecks) {
            List<Entry> both = new ArrayList<>(liveness);
            both.addAll(readiness);
            return both;
        }
        return livenessChecks ? liveness : readinessChecks ? readiness : List.of();
    }

    /** Whether there are readiness checks at all. */
    boolean hasReadinessChecks() {
        return !readiness.isEmpty();
    }

    /**
     * Runs the readiness checks every {@code interval} (from the end of a round to the start of the next) until
     * {@link #close()}, handing {@code listener} whether they all passed. A listener that throws is logged and the
     * rounds go on.
     */
    void watchReadiness(Duration interval, Consumer<Boolean> listener) {
        Runnable round = new Runnable() {
            @Override
            public void run() {
                if (closed) {
                    return;
                }
                HealthChecks.this.run(false, true).whenComplete((checks, error) -> {
                    try {
                        listener.accept(error == null && checks.stream().allMatch(Health.Check::up));
                    } catch (RuntimeException e) {
                        logger.warn("Background readiness round failed; going on", e);
                    }
                    schedule(this, interval);
                });
            }
        };
        schedule(round, interval);
    }

    private void schedule(Runnable task, Duration delay) {
        if (closed) {
            return;
        }
        try {
            timer.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closed meanwhile: nothing more to run
        }
    }

    /**
     * Stops the threads, interrupting checks still running; a probe waiting for one gets it down at once. Later
     * probes get the last results, or a check down when it never ran. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        runner.shutdownNow();
        for (Entry entry : liveness) {
            entry.abandon();
        }
        for (Entry entry : readiness) {
            entry.abandon();
        }
    }

    /** One run of a check. */
    private static final class Run {
        final CompletableFuture<Health.Check> outcome = new CompletableFuture<>();
        ScheduledFuture<?> timeoutTask; // set before the run can end, under the entry's lock
        Thread thread; // guarded by this; the thread while it runs the check, then null
        boolean timedOut; // guarded by this
    }

    /** A check and its last result. */
    private final class Entry {

        final String name;
        final Health.CheckKind kind;
        final HealthCheck check;
        final String kindName;

        // guarded by this
        private Health.Check last;
        private long lastAt;
        private Run running;
        private boolean reportedDown;

        Entry(String name, Health.CheckKind kind, HealthCheck check) {
            this.name = name;
            this.kind = kind;
            this.check = check;
            this.kindName = kind.name().toLowerCase(Locale.ROOT);
        }

        Health.Check down(String error) {
            return new Health.Check(name, kind, false, error);
        }

        CompletableFuture<Health.Check> outcome() {
            Run run;
            synchronized (this) {
                if (last != null && (ticker.getAsLong() - lastAt < maxAgeNanos || closed && running == null)) {
                    return CompletableFuture.completedFuture(last);
                }
                if (running == null) {
                    if (closed) {
                        return CompletableFuture.completedFuture(down("not run: the lifecycle has stopped"));
                    }
                    Run started = new Run();
                    try {
                        started.timeoutTask = timer.schedule(() -> timedOut(started), timeout.toNanos(),
                                                             TimeUnit.NANOSECONDS);
                        runner.execute(() -> execute(started));
                    } catch (RejectedExecutionException e) {
                        if (started.timeoutTask != null) {
                            started.timeoutTask.cancel(false);
                        }
                        return CompletableFuture.completedFuture(down("not run: the lifecycle has stopped"));
                    }
                    running = started;
                }
                run = running;
            }
            return run.outcome;
        }

        private void execute(Run run) {
            Thread thread = Thread.currentThread();
            String threadName = thread.getName();
            thread.setName(threadName + " (" + kindName + " check '" + name + "')");
            boolean tooLate;
            synchronized (run) {
                tooLate = run.timedOut;
                if (!tooLate) {
                    run.thread = thread;
                }
            }
            if (tooLate) {
                // The machine was too slow to even start it: the probe has its answer; the next one runs it.
                thread.setName(threadName);
                finished(run, null, null);
                return;
            }
            Health.Check result;
            Throwable cause = null;
            try {
                result = check.isHealthy() ? new Health.Check(name, kind, true, null) : down("check returned false");
            } catch (Throwable t) { // a check that throws anything is down, never a dead run that blocks the next
                cause = t;
                result = down(String.valueOf(t));
            } finally {
                synchronized (run) {
                    run.thread = null;
                }
                Thread.interrupted(); // an interrupt from the timeout must not reach the pool's next task
                thread.setName(threadName);
            }
            run.timeoutTask.cancel(false);
            finished(run, result, cause);
        }

        /** Frees the check for its next run; {@code result} is {@code null} when it never ran. */
        private void finished(Run run, Health.Check result, Throwable cause) {
            boolean timedOut;
            synchronized (run) {
                timedOut = run.timedOut;
            }
            synchronized (this) {
                if (running == run) {
                    running = null;
                }
                // After a timeout, a failure (often the InterruptedException the timeout caused) would hide the
                // timeout, the better explanation; a late success is news and is recorded.
                if (result != null && (result.up() || !timedOut)) {
                    record(result, cause);
                }
            }
            if (result != null) {
                run.outcome.complete(result);
            }
        }

        private void timedOut(Run run) {
            Health.Check result = down("did not finish within " + Durations.format(timeout));
            synchronized (this) {
                if (running != run) {
                    return; // finished meanwhile
                }
                synchronized (run) { // lock order: entry, then run; never the other way
                    run.timedOut = true;
                }
                record(result, null);
            }
            run.outcome.complete(result);
            synchronized (run) {
                if (run.thread != null) {
                    run.thread.interrupt();
                }
            }
        }

        /** At close: a probe waiting for a run that the stopped threads may never finish gets an answer now. */
        void abandon() {
            Run run;
            synchronized (this) {
                run = running;
            }
            if (run != null) {
                run.outcome.complete(down("did not finish: the lifecycle has stopped"));
            }
        }

        // guarded by this
        private void record(Health.Check result, Throwable cause) {
            last = result;
            lastAt = ticker.getAsLong();
            if (!result.up() && !reportedDown) {
                reportedDown = true;
                logger.warn("Health check '{}' ({}) is down: {}", name, kindName, result.error(), cause);
            } else if (result.up() && reportedDown) {
                reportedDown = false;
                logger.info("Health check '{}' ({}) is up again", name, kindName);
            }
        }
    }
}
