package dev.lifecycle.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link Ticker} whose time moves only when the test calls {@link #advance(Duration)}: a wait bounded by a timeout
 * ends when its event completes or when the test has advanced past its deadline, never by itself. The test learns
 * that the sequence reached a wait with {@link #awaitWaiters(int)}.
 */
final class FakeTicker implements Ticker {

    /** Bounds every real wait, so that a broken test fails instead of hanging. */
    private static final Duration REAL_BOUND = Duration.ofSeconds(30);

    private record Timer(long deadline, CompletableFuture<Void> fired) {
    }

    private long now = 1_000_000_000L; // guarded by this
    private final List<Timer> timers = new ArrayList<>(); // guarded by this
    private int waits; // guarded by this: every timed wait begun

    @Override
    public synchronized long nanoTime() {
        return now;
    }

    @Override
    public boolean await(CompletableFuture<?> event, long timeoutNanos) throws InterruptedException {
        Timer timer;
        synchronized (this) {
            if (event.isDone()) {
                return true;
            }
            if (timeoutNanos <= 0) {
                return false;
            }
            timer = new Timer(now + timeoutNanos, new CompletableFuture<>());
            timers.add(timer);
            waits++;
            notifyAll();
        }
        try {
            CompletableFuture.anyOf(event, timer.fired()).get(REAL_BOUND.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            // the event completed exceptionally: completed all the same
        } catch (TimeoutException e) {
            throw new IllegalStateException("FakeTicker: the test neither completed the event nor advanced past "
                                            + "the deadline within " + REAL_BOUND);
        } finally {
            synchronized (this) {
                timers.remove(timer);
            }
        }
        return event.isDone();
    }

    /** Moves time forward, ending the waits whose deadline it passes. */
    void advance(Duration duration) {
        List<Timer> due = new ArrayList<>();
        synchronized (this) {
            now += duration.toNanos();
            for (Timer timer : timers) {
                if (timer.deadline() - now <= 0) {
                    due.add(timer);
                }
            }
        }
        due.forEach(timer -> timer.fired().complete(null));
    }

    /** Blocks until at least {@code count} waits are pending on this ticker. */
    synchronized void awaitWaiters(int count) throws InterruptedException {
        long deadline = System.nanoTime() + REAL_BOUND.toNanos();
        while (pendingWaiters() < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("FakeTicker: " + pendingWaiters() + " wait(s) pending, expected " + count);
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /**
     * Blocks until {@code count} timed waits have begun on this ticker since it was created: tells the test that the
     * waiting thread has moved on to its next wait, whichever it is.
     */
    synchronized void awaitWaitsBegun(int count) throws InterruptedException {
        long deadline = System.nanoTime() + REAL_BOUND.toNanos();
        while (waits < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("FakeTicker: " + waits + " wait(s) begun, expected " + count);
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** The number of timed waits begun so far. */
    synchronized int waitsBegun() {
        return waits;
    }

    private int pendingWaiters() {
        int pending = 0;
        for (Timer timer : timers) {
            if (!timer.fired().isDone()) {
                pending++;
            }
        }
        return pending;
    }
}
