package dev.lifecycle.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One admitted request: a one-shot token returned by {@link InflightTracker#tryEnter(String, String)}. The adapter
 * calls {@link #exit()} once the last byte of the response was written, or the connection closed; further calls do
 * nothing, so a request is never counted out twice.
 */
public sealed class InflightRequest permits InflightRequest.Described {

    /** Returned for a refused request: {@link #admitted()} is {@code false}, and every method does nothing. */
    public static final InflightRequest REFUSED = new InflightRequest(null);

    // ACTIVE -> DONE, or ACTIVE -> MOVING -> LONG_LIVED -> DONE. While MOVING, markLongLived is moving the count from
    // the main to the long-lived counter; an exit() meanwhile only sets DONE and leaves the counting to the mover, so
    // the two never race on the counters.
    private static final int ACTIVE = 0;
    private static final int MOVING = 1;
    private static final int LONG_LIVED = 2;
    private static final int DONE = 3;

    private static final VarHandle STATUS;

    static {
        try {
            STATUS = MethodHandles.lookup().findVarHandle(InflightRequest.class, "status", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Kept small (24 bytes with compressed references): one is allocated per request. The description lives in the
    // subclass, allocated only when the tracker describes requests; the drain listener in a holder allocated only for
    // the rare long-lived request; the tracker is reached through the cell that counts the request.
    /** Where the request is counted: one of the tracker's cells, or its admission word; {@code null} if refused. */
    private final InflightTracker.Cell cell;
    @SuppressWarnings("unused") // accessed through STATUS
    private volatile int status;
    private volatile DrainSignal drainSignal;

    InflightRequest(InflightTracker.Cell cell) {
        this.cell = cell;
        if (cell == null) {
            status = DONE;
        }
    }

    /**
     * A request with what the drain-timeout report shows of it. It sits in a slot of the tracker's
     * {@link RequestTable} while in flight (or, when the table has no room, in the tracker's fallback set). While it
     * sits in its slot, the slot, not {@code status}, says that it is active: {@link #exit()} and
     * {@link #markLongLived} first try to take it out of the slot, and only the one that does counts it out of the
     * main count.
     */
    static final class Described extends InflightRequest {
        private final String method;
        private final String target;
        private final long startNanos;
        /** The chunk of the tracker's table holding the request, or {@code null} for one in the fallback set. */
        RequestTable.Chunk chunk;
        int slot;

        Described(InflightTracker.Cell cell, String method, String target, long startNanos) {
            super(cell);
            this.method = method;
            this.target = target;
            this.startNanos = startNanos;
        }

        @Override
        boolean hasSlot() {
            return chunk != null;
        }

        @Override
        boolean leaveTable() {
            RequestTable.Chunk held = chunk;
            return held != null && RequestTable.release(held, slot, this);
        }

        @Override
        String method() {
            return method;
        }

        @Override
        String target() {
            return target;
        }

        @Override
        long startNanos() {
            return startNanos;
        }
    }

    /** A long-lived request's drain listener, called at most once. */
    private static final class DrainSignal {
        private final Runnable listener;
        private final AtomicBoolean signalled = new AtomicBoolean();

        DrainSignal(Runnable listener) {
            this.listener = listener;
        }

        void signal() {
            if (signalled.compareAndSet(false, true)) {
                try {
                    listener.run();
                } catch (RuntimeException | Error e) {
                    InflightTracker.logListenerFailure(e);
                }
            }
        }
    }

    /** Whether the request was admitted. A refused request must be answered {@code 503} and never exited. */
    public boolean admitted() {
        return cell != null;
    }

    /** Ends the request. Idempotent and thread-safe: only the first call counts. */
    public void exit() {
        if (leaveTable()) { // the one-shot step for a request in the tracker's table: a single compare-and-set
            STATUS.setRelease(this, DONE);
            cell.tracker.release(cell);
            return;
        }
        int previous = (int) STATUS.getAndSet(this, DONE);
        if (previous == ACTIVE) {
            // Still ACTIVE but out of its slot: markLongLived took it out and counts this exit when it sees DONE
            // (or an earlier exit() took it out and counted it already).
            if (!hasSlot()) {
                cell.tracker.exit(this, false);
            }
        } else if (previous == LONG_LIVED) {
            cell.tracker.exit(this, true);
        }
        // MOVING: markLongLived sees DONE when it finishes the move and counts the exit then.
    }

    /**
     * Marks this request as long-lived (a stream, a WebSocket, a long-poll): it leaves the main in-flight count and
     * is drained under the shorter long-lived bound. {@code onDrain} is called once, as soon as admission closes (at
     * once if it already has); it should end the stream so the client reconnects elsewhere. It runs on the thread
     * closing admission, so it must not block. Does nothing if the request was refused, has exited or was already
     * marked.
     *
     * @param onDrain told to end the stream when admission closes, or {@code null} for a stream that ends on its own
     */
    public void markLongLived(Runnable onDrain) {
        if (cell == null || (int) STATUS.getVolatile(this) != ACTIVE) {
            return;
        }
        if (onDrain != null && drainSignal == null) {
            drainSignal = new DrainSignal(onDrain);
        }
        if (hasSlot()) {
            if (!leaveTable()) {
                return; // exited meanwhile
            }
            // Out of the table, so an exit() from now on leaves the count to us; if one came already, count it.
            if (!STATUS.compareAndSet(this, ACTIVE, MOVING)) {
                cell.tracker.exit(this, false);
                return;
            }
            moveToLongLived();
        } else if (STATUS.compareAndSet(this, ACTIVE, MOVING)) {
            moveToLongLived();
        }
    }

    private void moveToLongLived() {
        cell.tracker.moveToLongLived(this);
        if (!STATUS.compareAndSet(this, MOVING, LONG_LIVED)) {
            cell.tracker.exit(this, true); // exit() was called during the move and left the count to us
        }
    }

    /** Whether the request was given a slot in the tracker's table (it may have left it since): see {@link Described}. */
    boolean hasSlot() {
        return false;
    }

    /** Takes the request out of the tracker's table: {@code true} for the one caller that did. */
    boolean leaveTable() {
        return false;
    }

    /** Whether this request has exited. */
    public boolean isDone() {
        return (int) STATUS.getVolatile(this) == DONE;
    }

    void signalDrain() {
        DrainSignal signal = drainSignal;
        if (signal != null) {
            signal.signal();
        }
    }

    String method() {
        return null;
    }

    String target() {
        return null;
    }

    long startNanos() {
        return 0L;
    }

    /** Where the request is counted; {@code null} if it was refused. */
    InflightTracker.Cell cell() {
        return cell;
    }

    String describe(long nowNanos) {
        String method = method();
        String target = target();
        long startNanos = startNanos();
        StringBuilder sb = new StringBuilder();
        sb.append(method == null ? "?" : method).append(' ');
        if (target == null) {
            sb.append('?');
        } else {
            int query = target.indexOf('?');
            sb.append(query < 0 ? target : target.substring(0, query));
        }
        int current = (int) STATUS.getVolatile(this);
        if (current == MOVING || current == LONG_LIVED) {
            sb.append(" [long-lived]");
        }
        if (startNanos != 0L) {
            long ageMillis = (nowNanos - startNanos) / 1_000_000;
            sb.append(" (age ").append(ageMillis / 1000).append('.').append(ageMillis % 1000 / 100).append(" s)");
        }
        return sb.toString();
    }
}
