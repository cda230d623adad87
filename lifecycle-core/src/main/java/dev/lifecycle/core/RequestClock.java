package dev.lifecycle.core;

import java.lang.ref.WeakReference;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coarse clock that stamps each described request's start: {@link System#nanoTime()} read every
 * {@value #TICK_MILLIS} ms by one thread, so that admission reads a field instead of the clock (which costs 50 to
 * 100 ns on a virtual machine, several times the rest of the admission). The drain-timeout report shows ages to a
 * tenth of a second; a stamp is at most one tick early.
 *
 * <p>Owned by one {@link Lifecycle}: {@link #start() started} when admission opens, {@link #stop() stopped} once the
 * drain is over. Nothing is static. The thread holds its clock only weakly and ends by itself when the clock becomes
 * unreachable, so a lifecycle that is dropped without a shutdown (an undeployed WAR whose code forgot it) does not
 * keep its class loader alive through this thread.
 */
final class RequestClock implements LongSupplier {

    private static final Logger logger = LoggerFactory.getLogger(RequestClock.class);

    static final long TICK_MILLIS = 10;
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
    private static final long STOP_WAIT_MILLIS = 1000;

    private final PaddedTime time = new PaddedTime();
    private final String threadName;
    private volatile Thread thread; // written under this
    private boolean stopped; // guarded by this

    RequestClock(String threadName) {
        this.threadName = threadName;
        time.now = System.nanoTime();
    }

    /** The time of the last tick (before the first: of the construction or the start). */
    @Override
    public long getAsLong() {
        return time.now;
    }

    /** Starts ticking; does nothing if it already ticks or was stopped. */
    synchronized void start() {
        if (thread != null || stopped) {
            return;
        }
        time.now = System.nanoTime();
        Thread ticking = new Thread(new Ticking(this), threadName);
        ticking.setDaemon(true);
        ticking.setContextClassLoader(null);
        thread = ticking;
        ticking.start();
    }

    /**
     * Stops the thread and waits for it to end (at most a second, then a WARN). The clock keeps its last time: a
     * request still in flight keeps its stamp. Idempotent.
     */
    void stop() {
        Thread running;
        synchronized (this) {
            stopped = true;
            running = thread;
            thread = null;
        }
        if (running == null) {
            return;
        }
        LockSupport.unpark(running);
        try {
            running.join(STOP_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (running.isAlive()) {
            logger.warn("The request clock's thread {} did not end within {} ms of the stop; going on", threadName,
                        STOP_WAIT_MILLIS);
        }
    }

    /** The ticking thread, {@code null} before the start and after the stop. */
    Thread thread() {
        return thread;
    }

    /** The thread's loop: refers to its clock weakly, ends when the clock is stopped or collected. */
    private static final class Ticking implements Runnable {
        private final WeakReference<RequestClock> clock;

        Ticking(RequestClock clock) {
            this.clock = new WeakReference<>(clock);
        }

        @Override
        public void run() {
            Thread current = Thread.currentThread();
            for (RequestClock c; (c = clock.get()) != null && c.thread == current; ) {
                c.time.now = System.nanoTime();
                c = null; // not held across the park: the clock may become unreachable meanwhile
                LockSupport.parkNanos(TICK_NANOS);
            }
        }
    }

    /** Padding before the time; see {@link PaddedTime}. */
    abstract static class TimePadding {
        long p01, p02, p03, p04, p05, p06, p07, p08;
    }

    /** The time itself. */
    abstract static class Time extends TimePadding {
        volatile long now;
    }

    /**
     * The time on a cache line of its own: written every tick, read by every admission; without the padding each
     * tick would also evict whatever the allocator placed next to it from every core's cache.
     */
    static final class PaddedTime extends Time {
        long p11, p12, p13, p14, p15, p16, p17, p18;
    }
}
