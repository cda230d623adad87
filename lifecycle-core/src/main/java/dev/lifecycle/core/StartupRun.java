package dev.lifecycle.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.lifecycle.core.Health.TaskStatus;
import dev.lifecycle.core.internal.Durations;

/**
 * Runs the startup tasks: each on its own thread as soon as its dependencies have succeeded, so independent tasks run
 * in parallel and the whole run takes the critical path. The first failure, timeout or {@link #cancel} wins: it
 * completes {@link #outcome} and interrupts every task still running, which turn cancelled when they end; the tasks
 * that never began are marked cancelled at once. {@link #run()} returns without waiting for interrupted tasks to end.
 */
final class StartupRun {

    private static final Logger logger = LoggerFactory.getLogger(Lifecycle.class);

    /** One task's mutable progress; read by probes through {@link #snapshot()}. */
    static final class Progress {
        final StartupTask task;
        volatile TaskStatus status = TaskStatus.PENDING;
        volatile long startNanos;
        volatile long endNanos;
        volatile String error;
        volatile Thread thread;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        /** Completes when the task's thread is about to end, whatever the task did. */
        final CompletableFuture<Void> ended = new CompletableFuture<>();

        Progress(StartupTask task) {
            this.task = task;
        }

        Duration duration() {
            long start = startNanos;
            if (start == 0L) {
                return Duration.ZERO;
            }
            long end = endNanos;
            return Duration.ofNanos((end == 0L ? System.nanoTime() : end) - start);
        }
    }

    private final Map<String, Progress> progress = new LinkedHashMap<>();
    private final CompletableFuture<Void> outcome = new CompletableFuture<>();
    private final AtomicInteger threadIds = new AtomicInteger();
    private volatile ScheduledExecutorService timer;

    StartupRun(List<StartupTask> tasks) {
        for (StartupTask task : tasks) {
            progress.put(task.name(), new Progress(task));
        }
    }

    List<Health.Task> snapshot() {
        List<Health.Task> tasks = new ArrayList<>(progress.size());
        for (Progress p : progress.values()) {
            tasks.add(new Health.Task(p.task.name(), p.status, p.duration(), p.error));
        }
        return tasks;
    }

    Map<String, Progress> progress() {
        return progress;
    }

    /**
     * Runs every task and waits until all succeeded or the first one failed.
     *
     * @throws StartupException naming the task that failed or timed out, or saying that shutdown interrupted startup
     */
    void run() {
        if (progress.isEmpty()) {
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lifecycle-startup-timer");
            t.setDaemon(true);
            return t;
        });
        try {
            for (Progress p : progress.values()) {
                CompletableFuture<?>[] dependencies = p.task.dependencies().stream()
                        .map(name -> progress.get(name).done)
                        .toArray(CompletableFuture[]::new);
                CompletableFuture.allOf(dependencies).whenComplete((ignored, failure) -> {
                    if (failure == null && !outcome.isDone()) {
                        launch(p);
                    }
                });
            }
            CompletableFuture.allOf(progress.values().stream().map(p -> p.done).toArray(CompletableFuture[]::new))
                             .whenComplete((ignored, failure) -> {
                                 if (failure == null) {
                                     outcome.complete(null);
                                 }
                             });
            try {
                outcome.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                cancel(new StartupException("Startup was interrupted", null, e));
            } catch (ExecutionException e) {
                // reported below
            }
            if (outcome.isCompletedExceptionally()) {
                markCancelled();
                outcome.join(); // throws CompletionException wrapping the StartupException
            }
        } catch (CompletionException e) {
            throw (StartupException) e.getCause();
        } finally {
            timer.shutdownNow();
        }
    }

    /** Fails the run with {@code cause} unless it already finished, interrupting every running task. */
    void cancel(StartupException cause) {
        if (outcome.completeExceptionally(cause)) {
            for (Progress p : progress.values()) {
                Thread thread = p.thread;
                if (thread != null && thread != Thread.currentThread()) { // a task may call shutdown() itself
                    thread.interrupt();
                }
            }
        }
    }

    /**
     * Marks the tasks that never began as cancelled. Running ones were interrupted and turn {@code CANCELLED} when
     * they end: until then their status says, truthfully, that they still run.
     */
    private void markCancelled() {
        for (Progress p : progress.values()) {
            synchronized (p) {
                if (p.status == TaskStatus.PENDING) {
                    p.status = TaskStatus.CANCELLED;
                }
            }
        }
    }

    /**
     * Completes when every task thread still running (interrupted by {@link #cancel}) has ended, so that stop actions
     * do not close what a task is still using. The calling thread is never waited for: a task may call shutdown().
     */
    CompletableFuture<Void> tasksEnded() {
        return CompletableFuture.allOf(progress.values().stream()
                                               .filter(p -> p.thread != null && p.thread != Thread.currentThread())
                                               .map(p -> p.ended)
                                               .toArray(CompletableFuture[]::new));
    }

    /** The names of the tasks whose threads still run, the calling thread's excepted. */
    List<String> stillRunning() {
        List<String> running = new ArrayList<>();
        for (Progress p : progress.values()) {
            Thread thread = p.thread;
            if (thread != null && thread != Thread.currentThread()) {
                running.add(p.task.name());
            }
        }
        return running;
    }

    private void launch(Progress p) {
        Thread thread = new Thread(() -> execute(p), "lifecycle-startup-" + threadIds.incrementAndGet() + "-"
                                                     + p.task.name());
        thread.setDaemon(true);
        p.thread = thread;
        thread.start();
    }

    private void execute(Progress p) {
        ScheduledFuture<?> timeout = null;
        try {
            synchronized (p) {
                if (p.status != TaskStatus.PENDING) {
                    return; // the run ended before this task began
                }
                p.startNanos = System.nanoTime();
                p.status = TaskStatus.RUNNING;
            }
            if (outcome.isDone()) {
                throw new InterruptedException("startup already ended");
            }
            if (p.task.timeout().isPresent()) {
                Duration limit = p.task.timeout().get();
                timeout = timer.schedule(() -> timedOut(p, limit), limit.toNanos(), TimeUnit.NANOSECONDS);
            }
            logger.info("Startup task '{}' started", p.task.name());
            p.task.body().run();
            if (timeout != null) {
                timeout.cancel(false);
            }
            boolean succeeded = false;
            synchronized (p) {
                if (p.status == TaskStatus.RUNNING) {
                    p.endNanos = System.nanoTime();
                    p.status = TaskStatus.SUCCEEDED;
                    succeeded = true;
                }
            }
            if (succeeded) {
                logger.info("Startup task '{}' succeeded in {}", p.task.name(), Durations.format(p.duration()));
                p.done.complete(null);
            }
        } catch (Throwable t) {
            if (timeout != null) {
                timeout.cancel(false);
            }
            failed(p, t);
        } finally {
            p.thread = null;
            Thread.interrupted(); // the thread ends here; do not leak an interrupt meant for the body
            p.ended.complete(null);
        }
    }

    private void failed(Progress p, Throwable t) {
        boolean cancelled;
        synchronized (p) {
            if (p.status != TaskStatus.RUNNING) {
                return; // timed out or cancelled already
            }
            p.endNanos = System.nanoTime();
            if (outcome.isDone()) {
                // The run had already failed or been cancelled, so this task was interrupted: whatever it threw
                // (InterruptedException, or an exception wrapping it after the flag was cleared) is a consequence.
                p.status = TaskStatus.CANCELLED;
            } else {
                p.status = TaskStatus.FAILED;
                p.error = String.valueOf(t);
            }
            cancelled = p.status == TaskStatus.CANCELLED;
        }
        if (cancelled) {
            logger.info("Startup task '{}' cancelled after {}", p.task.name(), Durations.format(p.duration()));
            p.done.completeExceptionally(t);
            return;
        }
        logger.error("Startup task '{}' failed after {}: {}", p.task.name(), Durations.format(p.duration()), t, t);
        p.done.completeExceptionally(t);
        cancel(new StartupException("Startup task '" + p.task.name() + "' failed: " + t, p.task.name(), t));
    }

    private void timedOut(Progress p, Duration limit) {
        synchronized (p) {
            if (p.status != TaskStatus.RUNNING) {
                return;
            }
            p.endNanos = System.nanoTime();
            p.status = TaskStatus.TIMED_OUT;
            p.error = "timed out after " + Durations.format(limit);
        }
        logger.error("Startup task '{}' timed out after {}; interrupting it", p.task.name(), Durations.format(limit));
        StartupException failure = new StartupException(
                "Startup task '" + p.task.name() + "' timed out after " + Durations.format(limit), p.task.name(),
                null);
        p.done.completeExceptionally(failure);
        cancel(failure);
    }
}
