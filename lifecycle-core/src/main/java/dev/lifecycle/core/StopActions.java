package dev.lifecycle.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.lifecycle.core.internal.Durations;

/**
 * The stop actions of a {@link Lifecycle}: registered from any thread, run once at the end of shutdown in the reverse
 * order of registration (the server registered last stops first, the pool it used after it). Each runs on its own
 * daemon thread, bounded by the stop timeout: one that throws is logged and one that hangs is logged, interrupted
 * and left behind; either way the next one runs.
 */
final class StopActions {

    private static final Logger logger = LoggerFactory.getLogger(Lifecycle.class);

    /** A bounded wait of the shutdown sequence, measured on its ticker. */
    @FunctionalInterface
    interface BoundedWait {
        /** Waits for {@code event} at most {@code timeout}, interrupts or not; whether it completed. */
        boolean await(CompletableFuture<?> event, Duration timeout);
    }

    private record Named(String name, StopAction action) {
    }

    private final List<Named> actions = new CopyOnWriteArrayList<>();
    private final Duration timeout;
    private volatile Thread running;

    StopActions(Duration timeout) {
        this.timeout = timeout;
    }

    void add(String name, StopAction action) {
        actions.add(new Named(name, action));
    }

    int size() {
        return actions.size();
    }

    /** Whether {@code thread} is the one running a stop action right now. */
    boolean isRunning(Thread thread) {
        return thread == running;
    }

    /** Runs every action registered so far, last registered first. */
    void runAll(BoundedWait wait, Ticker ticker) {
        List<Named> snapshot = new ArrayList<>(actions);
        for (int i = snapshot.size() - 1; i >= 0; i--) {
            run(snapshot.get(i), wait, ticker);
        }
        running = null;
    }

    private void run(Named named, BoundedWait wait, Ticker ticker) {
        long start = ticker.nanoTime();
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
        running = thread;
        thread.start();
        if (!wait.await(done, timeout)) {
            logger.warn("Stop action '{}' did not finish within {}; interrupting it and going on", named.name(),
                        Durations.format(timeout));
            thread.interrupt();
            return;
        }
        try {
            done.join();
            logger.info("Stop action '{}' done in {}", named.name(), Durations.formatNanos(ticker.nanoTime() - start));
        } catch (CompletionException e) {
            logger.warn("Stop action '{}' failed; going on", named.name(), e.getCause());
        }
    }
}
