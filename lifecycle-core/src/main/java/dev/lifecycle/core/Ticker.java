package dev.lifecycle.core;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The time the shutdown sequence measures its bounds in (pre-stop delay, drain timeouts, stop timeout) and waits on.
 * {@link #SYSTEM} in production; tests inject a fake through {@link LifecycleBuilder#ticker(Ticker)}, so that a drain
 * timeout is reached by advancing the fake, not by waiting for it.
 */
interface Ticker {

    /** {@link System#nanoTime()}, and waits that block for real. */
    Ticker SYSTEM = new Ticker() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public boolean await(CompletableFuture<?> event, long timeoutNanos) throws InterruptedException {
            try {
                event.get(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return false;
            } catch (ExecutionException e) {
                // completed all the same: the caller reads the failure from the future
            }
            return true;
        }
    };

    /** The current time in nanoseconds, for differences only. */
    long nanoTime();

    /**
     * Waits until {@code event} completes (normally or not), at most {@code timeoutNanos} of this ticker's time.
     *
     * @return whether {@code event} completed
     * @throws InterruptedException if the waiting thread is interrupted
     */
    boolean await(CompletableFuture<?> event, long timeoutNanos) throws InterruptedException;
}
