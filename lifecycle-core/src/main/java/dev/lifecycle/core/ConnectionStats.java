package dev.lifecycle.core;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the drain did to connections, as reported by the server adapter: the core sees requests, only the adapter
 * sees connections. Read by {@link LifecycleMetrics} and by the drain's log line.
 */
public final class ConnectionStats {

    private final LongAdder closedIdle = new LongAdder();
    private final LongAdder closedAfterResponse = new LongAdder();

    ConnectionStats() {
    }

    /**
     * Records {@code count} idle keep-alive connections closed by the server when the drain began.
     *
     * @throws IllegalArgumentException if {@code count} is negative
     */
    public void closedIdle(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("count: " + count + " (expected: >= 0)");
        }
        closedIdle.add(count);
    }

    /** Records one connection closed after a response sent with {@code Connection: close} while draining. */
    public void closedAfterResponse() {
        closedAfterResponse.increment();
    }

    /** Idle connections closed when the drain began, so far. */
    public long closedIdleCount() {
        return closedIdle.sum();
    }

    /** Connections closed after a response while draining, so far. */
    public long closedAfterResponseCount() {
        return closedAfterResponse.sum();
    }

    @Override
    public String toString() {
        return "ConnectionStats[closedIdle=" + closedIdleCount() + ", closedAfterResponse="
               + closedAfterResponseCount() + ']';
    }
}
