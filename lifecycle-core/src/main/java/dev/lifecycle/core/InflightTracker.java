package dev.lifecycle.core;

import static java.util.Objects.requireNonNull;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the requests in flight and decides, race-free, whether a new one is admitted. Server adapters call
 * {@link #tryEnter(String, String)} when a request arrives and {@link InflightRequest#exit()} after the last byte of
 * its response was written.
 *
 * <h2>Admission protocol</h2>
 * Admission is decided on one {@code long}, the word: the count of requests in flight in the low bits, plus three flag
 * bits: {@code NOT_OPEN} (set until the lifecycle is ready), {@code DRAINING} (set when the drain begins, never
 * cleared) and {@code CLOSED} (set when admission has closed for good, never cleared). {@code tryEnter} adds one with
 * a single atomic add and looks at the flags of the value it replaced: if {@code NOT_OPEN} or {@code CLOSED} was set
 * it takes its one back and refuses. Because the flags and the count live in the same word, the add that admits a
 * request and the change that closes admission are totally ordered: either the request was counted before the close
 * (and the drain waits for it), or it saw the flag (and was refused).
 *
 * <p>{@link #close()} begins the drain. Under {@link DrainPolicy#REJECT_503} and {@link DrainPolicy#REJECT_429} it
 * sets {@code DRAINING} and {@code CLOSED} together: admission closes at once. Under
 * {@link DrainPolicy#SERVE_AND_CLOSE} it sets {@code DRAINING} only, and requests are still admitted (a pooled
 * client's idle connection may bring one at any time); whoever leaves the word {@code DRAINING} with a zero count (an
 * exit, a refusal taking its one back, or the close itself) then sets {@code CLOSED} by compare-and-set, which fails
 * only if the word changed meanwhile: a new admission, whose own exit will try again, or another thread that closed
 * it first. The drain completes when the word is closed with a zero count (whatever {@code NOT_OPEN} says: a
 * lifecycle shut down during startup closes without ever opening); after that every add sees {@code CLOSED}, so
 * nothing is ever admitted after the drain reported zero. Waiters are woken by that transition, not by polling.
 *
 * <p>While admission is open and the drain has not begun, there is nothing to decide, and requests are not counted in
 * the word but in cells: each thread adds to the cell its id maps to (four per processor), so that threads on
 * different cores seldom write the same cache line (a single word shared by every request costs a cache-line
 * transfer per admission and exit under load). The cells are <em>sealed</em> outside that window: before the
 * opening, and by the close, which moves their counts to the word before it sets the drain's bits; a request that
 * finds its cell sealed is admitted or refused through the word as described above. The decisions are the word's
 * alone.
 *
 * <p>A refused attempt briefly raises the count by one before taking it back; {@link #inflight()} may show it, the
 * drain never waits for it. Each admission returns a one-shot {@link InflightRequest}, so a buggy adapter that exits
 * twice cannot drive the count negative.
 *
 * <h2>Long-lived requests</h2>
 * Streams (SSE, WebSocket, long-polls) are moved out of the main count with
 * {@link InflightRequest#markLongLived(Runnable)}. They are told to end as soon as admission closes and have their
 * own, shorter bound, so that one open stream does not hold the pod for the whole drain timeout.
 */
public final class InflightTracker {

    private static final Logger logger = LoggerFactory.getLogger(InflightTracker.class);

    static final long CLOSED = 1L << 62;
    static final long NOT_OPEN = 1L << 61;
    static final long DRAINING = 1L << 60;
    /** The flags that refuse a request. */
    private static final long REFUSING = CLOSED | NOT_OPEN;
    private static final long COUNT = ~(CLOSED | NOT_OPEN | DRAINING);

    private static final VarHandle STATE;
    private static final VarHandle LONG_LIVED_STATE;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(CellValue.class, "value", long.class);
            LONG_LIVED_STATE = lookup.findVarHandle(InflightTracker.class, "longLivedState", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A cell's value once sealed; the cell's later changes are meaningless, and its count lives in the word. */
    static final long SEALED = 1L << 62;
    /**
     * Any value at or above this is a sealed cell's: a sealed value moves away from {@link #SEALED} by one per
     * admission sent on to the word and per exit of a request counted before the seal, never by {@code 2^61}.
     */
    private static final long SEALED_MIN = 1L << 61;
    /** Added to the word while the cells are sealed: see {@link #sealCellsAndBeginDrain()}. */
    private static final long RESERVATION = 1L << 40;
    static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** The admission word, alone on its cache line: see {@link Cell}. */
    private final Cell state;
    /** Where requests are counted while admission is open and the drain has not begun: see {@link Cell}. */
    private final Cell[] cells;
    /** Shifts a thread's hashed id to an index of {@link #cells}. */
    private final int cellShift;
    /** Orders {@link #open()} and the sealing of the cells in {@link #close(boolean)}. */
    private final Object sealLock = new Object();
    @SuppressWarnings("unused") // accessed through LONG_LIVED_STATE
    private volatile long longLivedState;

    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    /** Set by {@link #close(boolean)} for the lifecycle's quiet period: a zero count does not close admission. */
    private volatile boolean holdOpen;
    // Unlike the main count, the long-lived count can rise again after close (a request admitted before the close is
    // marked long-lived after it), so each wait gets its own future, completed when the count next reaches zero.
    private final Object longLivedMonitor = new Object();
    private final List<CompletableFuture<Void>> longLivedWaiters = new ArrayList<>(); // guarded by longLivedMonitor
    private final LongAdder refused = new LongAdder();
    private final LongAdder servedWhileDraining = new LongAdder();
    /** The bits {@link #close()} sets: {@code DRAINING}, plus {@code CLOSED} unless requests are served meanwhile. */
    private final long closeBits;
    /** Where described requests are kept while in flight; {@code null} when requests are not described. */
    private final RequestTable table;
    /** Described requests that found no free slot in {@link #table}; {@code null} when requests are not described. */
    private final Set<InflightRequest> described;
    private final Set<InflightRequest> longLived = ConcurrentHashMap.newKeySet();
    private final Queue<Runnable> closeListeners = new ConcurrentLinkedQueue<>();
    private final LongSupplier ticker;
    /** Stamps each described request's start: the lifecycle's coarse {@link RequestClock}, or {@link #ticker}. */
    private final LongSupplier requestClock;

    /**
     * Creates a tracker that admits requests at once and closes admission as soon as {@link #close()} is called
     * ({@link DrainPolicy#REJECT_503}). {@link Lifecycle} creates its own; use this constructor only for a tracker
     * outside a lifecycle.
     *
     * @param describeRequests keep each request's method, target and start time so that a drain timeout can say
     *     which requests were still in flight; costs a slot in a table per request, and a read of
     *     {@link System#nanoTime()} (a tracker outside a lifecycle has no coarse clock to read instead)
     */
    public InflightTracker(boolean describeRequests) {
        this(describeRequests, DrainPolicy.REJECT_503);
    }

    /**
     * Creates a tracker that admits requests at once, with the given drain policy. {@link Lifecycle} creates its
     * own; use this constructor only for a tracker outside a lifecycle.
     *
     * @param describeRequests see {@link #InflightTracker(boolean)}
     * @param drainPolicy under {@link DrainPolicy#SERVE_AND_CLOSE}, requests are still admitted after
     *     {@link #close()} until none is in flight
     * @throws NullPointerException if {@code drainPolicy} is {@code null}
     */
    public InflightTracker(boolean describeRequests, DrainPolicy drainPolicy) {
        this(describeRequests, System::nanoTime, true, requireNonNull(drainPolicy, "drainPolicy cannot be null"));
    }

    InflightTracker(boolean describeRequests, LongSupplier ticker, boolean open) {
        this(describeRequests, ticker, open, DrainPolicy.REJECT_503);
    }

    InflightTracker(boolean describeRequests, LongSupplier ticker, boolean open, DrainPolicy drainPolicy) {
        this(describeRequests, ticker, ticker, open, drainPolicy);
    }

    InflightTracker(boolean describeRequests, LongSupplier ticker, LongSupplier requestClock, boolean open,
                    DrainPolicy drainPolicy) {
        this.table = describeRequests ? RequestTable.forThisMachine() : null;
        this.described = describeRequests ? ConcurrentHashMap.newKeySet() : null;
        this.ticker = ticker;
        this.requestClock = requestClock;
        this.closeBits = drainPolicy == DrainPolicy.SERVE_AND_CLOSE ? DRAINING : DRAINING | CLOSED;
        int cellCount = cellCount(Runtime.getRuntime().availableProcessors());
        this.cellShift = Long.SIZE - Integer.numberOfTrailingZeros(cellCount);
        this.cells = new Cell[cellCount];
        for (int i = 0; i < cellCount; i++) {
            cells[i] = new Cell(this, open ? 0L : SEALED);
        }
        this.state = new Cell(this, open ? 0L : NOT_OPEN);
    }

    /** Four cells per processor, between 4 and 64, a power of two: rarely two running threads on one cell. */
    static int cellCount(int processors) {
        int wanted = Math.max(4, Math.min(64, 4 * processors));
        return Integer.highestOneBit(wanted - 1) << 1;
    }

    /**
     * Admits a request without a description. Equivalent to {@code tryEnter(null, null)}.
     *
     * @return the admitted request, or {@link InflightRequest#REFUSED} when admission is not open
     */
    public InflightRequest tryEnter() {
        return tryEnter(null, null);
    }

    /**
     * Admits a request, unless the lifecycle is not ready yet or admission has closed for good (see the class
     * comment: under {@link DrainPolicy#SERVE_AND_CLOSE} requests are admitted during the drain). The arguments
     * are kept only when the tracker describes requests; the query string is cut from {@code target} before it is
     * ever logged.
     *
     * @param method the HTTP method, or {@code null}
     * @param target the request target (path and optional query), or {@code null}
     * @return the admitted request, to {@link InflightRequest#exit() exit} exactly once, or
     *     {@link InflightRequest#REFUSED} (check {@link InflightRequest#admitted()}): answer it {@code 503}
     */
    public InflightRequest tryEnter(String method, String target) {
        // Fibonacci hashing: the top bits of the product, so that threads with consecutive ids get distinct cells
        Thread current = Thread.currentThread();
        long hash = current.getId() * GOLDEN;
        Cell cell = cells[(int) (hash >>> cellShift)];
        if ((long) STATE.getAndAdd(cell, 1L) >= SEALED_MIN) {
            return enterThroughWord(method, target, current, hash);
        }
        return admitted(cell, method, target, current, hash);
    }

    /** Admission once the cells are sealed: before the opening and from the beginning of the drain. */
    private InflightRequest enterThroughWord(String method, String target, Thread current, long hash) {
        long previous = (long) STATE.getAndAdd(state, 1L);
        if ((previous & REFUSING) != 0) {
            release();
            refused.increment();
            return InflightRequest.REFUSED;
        }
        if ((previous & DRAINING) != 0) {
            servedWhileDraining.increment();
        }
        return admitted(state, method, target, current, hash);
    }

    /** The token of a request counted in {@code cell}, described if the tracker describes requests. */
    private InflightRequest admitted(Cell cell, String method, String target, Thread current, long hash) {
        if (table == null) {
            return new InflightRequest(cell);
        }
        InflightRequest.Described request =
                new InflightRequest.Described(cell, method, target, requestClock.getAsLong());
        if (!table.claim(request, current, hash)) {
            described.add(request);
        }
        return request;
    }

    /**
     * The number of admitted requests that have not exited, long-lived ones excluded. A sum over the cells, not one
     * atomic snapshot: while requests come and go it may be off by the few that did so during the call.
     */
    public long inflight() {
        long count = (long) STATE.getVolatile(state) & COUNT;
        if (count >= RESERVATION / 2) {
            count -= RESERVATION; // the drain is beginning: see sealCellsAndBeginDrain()
        }
        for (Cell cell : cells) {
            long value = (long) STATE.getVolatile(cell);
            if (value < SEALED_MIN) {
                count += value;
            }
        }
        return Math.max(0L, count);
    }

    /** The number of long-lived requests that have not exited. */
    public long longLived() {
        return (long) LONG_LIVED_STATE.getVolatile(this) & COUNT;
    }

    /** The number of requests refused so far, because admission was not open yet or had closed. */
    public long refused() {
        return refused.sum();
    }

    /**
     * The number of requests admitted after the drain began: under {@link DrainPolicy#SERVE_AND_CLOSE}, requests
     * that the reject policies would have refused.
     */
    public long servedWhileDraining() {
        return servedWhileDraining.sum();
    }

    /** Whether admission has closed for good: every request is refused from now on. */
    public boolean isClosed() {
        return ((long) STATE.getVolatile(state) & CLOSED) != 0;
    }

    /** Whether the drain has begun ({@link #close()} was called), whether or not requests are still admitted. */
    public boolean isDraining() {
        return ((long) STATE.getVolatile(state) & DRAINING) != 0;
    }

    /** Opens admission; until then every request is refused. Called by {@link Lifecycle} when it becomes ready. */
    void open() {
        synchronized (sealLock) {
            long previous = (long) STATE.getAndBitwiseAnd(state, ~NOT_OPEN);
            if ((previous & DRAINING) == 0) {
                // Until a cell is unsealed, its admissions go to the word, which admits them now.
                for (Cell cell : cells) {
                    STATE.setVolatile(cell, 0L);
                }
            }
        }
    }

    /**
     * Begins the drain: closes admission for good, or under {@link DrainPolicy#SERVE_AND_CLOSE} as soon as no
     * request is in flight; tells long-lived requests to end and runs the {@link #onClose close listeners}. Returns
     * at once; use {@link #awaitDrained} to wait. Idempotent.
     */
    public void close() {
        close(false);
    }

    /**
     * {@link #close()}; with {@code hold}, under {@link DrainPolicy#SERVE_AND_CLOSE}, admission does not close
     * when the count reaches zero until {@link #releaseHold()}: the lifecycle's quiet period.
     */
    void close(boolean hold) {
        if (hold && (closeBits & CLOSED) == 0) {
            holdOpen = true; // before the drain bit: no exit sees DRAINING with a zero count before the hold
        }
        long word;
        synchronized (sealLock) {
            if (isDraining()) {
                return;
            }
            word = sealCellsAndBeginDrain();
        }
        if ((word & COUNT) == 0) {
            closeIfIdle(word);
        }
        long previousLongLived = (long) LONG_LIVED_STATE.getAndBitwiseOr(this, CLOSED);
        if ((previousLongLived & COUNT) == 0) {
            wakeLongLivedWaiters();
        }
        for (InflightRequest request : longLived) {
            request.signalDrain();
        }
        for (Runnable listener; (listener = closeListeners.poll()) != null; ) {
            runCloseListener(listener);
        }
    }

    /**
     * Seals every cell, moves the counts found in them to the word, and sets the drain's bits on the word, in that
     * order: from the moment a cell is sealed its admissions go to the word, where the drain's bits decide; and the
     * word holds every count before those bits let an exit or the close see a zero count.
     *
     * <p>A request counted in a cell that exits after the seal finds the cell sealed and takes its one from the word
     * instead. Its exit may come before the count it takes is moved to the word, so the word first holds a
     * {@link #RESERVATION} larger than any count of requests in flight, and gives it back in the same step that adds
     * the counts moved: the word's count never drops below zero, nor reaches zero before every count is in it.
     *
     * @return the word after the drain's bits were set
     */
    private long sealCellsAndBeginDrain() {
        STATE.getAndAdd(state, RESERVATION);
        long moved = 0;
        for (Cell cell : cells) {
            long value = (long) STATE.getAndSet(cell, SEALED);
            if (value < SEALED_MIN) {
                moved += value;
            }
        }
        long delta = moved - RESERVATION;
        for (;;) {
            long current = (long) STATE.getVolatile(state);
            long next = (current + delta) | closeBits;
            if (STATE.compareAndSet(state, current, next)) {
                return next;
            }
        }
    }

    /**
     * Registers {@code listener} to run once, when the drain begins ({@link #close()}): on the thread calling it;
     * at once, on the caller's thread, if the drain has already begun. It must not block; one that throws is logged
     * and ignored. Adapters use it to close idle keep-alive connections and to send HTTP/2 {@code GOAWAY}.
     */
    public void onClose(Runnable listener) {
        requireNonNull(listener, "listener cannot be null");
        closeListeners.add(listener);
        if (isDraining() && closeListeners.remove(listener)) { // whoever removes it runs it: exactly once
            runCloseListener(listener);
        }
    }

    private static void runCloseListener(Runnable listener) {
        try {
            listener.run();
        } catch (RuntimeException | Error e) {
            logger.warn("An admission-closed listener threw; ignored", e);
        }
    }

    /**
     * Waits until admission has closed and every admitted request (long-lived ones excluded) has exited, at most
     * {@code timeout}. Wakes as soon as the last request exits.
     *
     * @return {@code true} if drained, {@code false} on timeout
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitDrained(Duration timeout) throws InterruptedException {
        return await(drained, timeout);
    }

    /**
     * Like {@link #awaitDrained(Duration)}, for long-lived requests: waits until admission has closed and every
     * long-lived request has exited, at most {@code timeout}.
     *
     * @return {@code true} if drained, {@code false} on timeout
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitLongLivedDrained(Duration timeout) throws InterruptedException {
        CompletableFuture<Void> longLivedDrained = longLivedDrained();
        boolean drainedInTime = await(longLivedDrained, timeout);
        if (!drainedInTime) {
            synchronized (longLivedMonitor) {
                longLivedWaiters.remove(longLivedDrained);
            }
        }
        return drainedInTime;
    }

    /** Completes when admission has closed and every admitted request (long-lived ones excluded) has exited. */
    CompletableFuture<Void> drained() {
        return drained;
    }

    /**
     * Completes the next time admission is closed and no long-lived request is counted: at once if that is so now.
     * The long-lived count can rise again after that (a request admitted before the close, marked long-lived after
     * it), so each wait asks for a new future.
     */
    CompletableFuture<Void> longLivedDrained() {
        synchronized (longLivedMonitor) {
            if (isDrained((long) LONG_LIVED_STATE.getVolatile(this))) {
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> waiter = new CompletableFuture<>();
            longLivedWaiters.add(waiter);
            return waiter;
        }
    }

    private void wakeLongLivedWaiters() {
        // Under the monitor, as the check in longLivedDrained(): a waiter added after the count reached zero saw zero.
        synchronized (longLivedMonitor) {
            longLivedWaiters.forEach(waiter -> waiter.complete(null));
            longLivedWaiters.clear();
        }
    }

    /** Closed, with no request counted; {@code NOT_OPEN} may still be set when closed during startup. */
    private static boolean isDrained(long word) {
        return (word & (CLOSED | COUNT)) == CLOSED;
    }

    private static boolean await(CompletableFuture<Void> future, Duration timeout) throws InterruptedException {
        try {
            future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e); // never completed exceptionally
        }
    }

    /**
     * Describes the oldest requests still in flight, oldest first, such as {@code "GET /orders (age 25.1 s)"}. Empty
     * when the tracker does not describe requests.
     */
    public List<String> describeOldest(int limit) {
        List<InflightRequest> all = new ArrayList<>();
        if (table != null) {
            table.addTo(all);
            all.addAll(described);
        }
        all.addAll(longLived);
        long now = ticker.getAsLong();
        List<String> descriptions = new ArrayList<>();
        all.stream()
           .filter(r -> !r.isDone())
           .sorted(Comparator.comparingLong(InflightRequest::startNanos))
           .limit(limit)
           .forEach(r -> descriptions.add(r.describe(now)));
        return descriptions;
    }

    /** Whether requests are described; see {@link #InflightTracker(boolean)}. */
    public boolean describesRequests() {
        return described != null;
    }

    private void release() {
        long now = (long) STATE.getAndAdd(state, -1L) - 1;
        if ((now & COUNT) == 0 && (now & (DRAINING | CLOSED)) != 0) {
            closeIfIdle(now);
        }
    }

    /**
     * Called with a word seen with a zero count and the drain begun: sets {@code CLOSED} if it is not set yet and
     * completes the drain. Retries only while the count stays zero: an admission meanwhile makes its own exit call
     * this again.
     */
    private void closeIfIdle(long word) {
        // Dekker with releaseHold(): the count's update comes before this read, the hold's release before its read
        // of the count; one of the two sees the other's write, so a zero count is never left open.
        if (holdOpen) {
            return;
        }
        for (long current = word; (current & COUNT) == 0; current = (long) STATE.getVolatile(state)) {
            if ((current & CLOSED) != 0) {
                drained.complete(null);
                return;
            }
            if (STATE.compareAndSet(state, current, current | CLOSED)) {
                drained.complete(null);
                return;
            }
        }
    }

    /**
     * Ends the hold of {@link #close(boolean)}: admission closes now if nothing is in flight, or at the next exit
     * that leaves none.
     */
    void releaseHold() {
        holdOpen = false;
        long word = (long) STATE.getVolatile(state);
        if ((word & COUNT) == 0 && (word & (DRAINING | CLOSED)) != 0) {
            closeIfIdle(word);
        }
    }

    /** Whether nothing is in flight (long-lived requests aside). */
    boolean isIdle() {
        return inflight() == 0;
    }

    /**
     * Takes a request out of the main count: out of {@code cell} if it was counted there and the cell is not sealed
     * yet, else out of the word.
     */
    void release(Cell cell) {
        if (cell != state && (long) STATE.getAndAdd(cell, -1L) < SEALED_MIN) {
            return;
        }
        release();
    }

    void exit(InflightRequest request, boolean wasLongLived) {
        if (wasLongLived) {
            longLived.remove(request);
            long now = (long) LONG_LIVED_STATE.getAndAdd(this, -1L) - 1;
            if (isDrained(now)) {
                wakeLongLivedWaiters();
            }
        } else {
            if (described != null && !request.hasSlot()) {
                described.remove(request);
            }
            release(request.cell());
        }
    }

    /**
     * Moves an admitted request from the main count to the long-lived one. {@link InflightRequest} guarantees that
     * this runs at most once per request and never concurrently with its {@link #exit}.
     */
    void moveToLongLived(InflightRequest request) {
        // Counted as long-lived before it leaves the main count, so it is never in neither.
        LONG_LIVED_STATE.getAndAdd(this, 1L);
        longLived.add(request);
        if (described != null && !request.hasSlot()) {
            described.remove(request);
        }
        release(request.cell());
        if (isDraining()) {
            request.signalDrain();
        }
    }

    long nanoTime() {
        return ticker.getAsLong();
    }

    static void logListenerFailure(Throwable t) {
        logger.warn("A long-lived request's drain listener threw; ignored", t);
    }

    /** Padding before a cell's value; see {@link Cell}. */
    abstract static class CellPadding {
        long p01, p02, p03, p04, p05, p06, p07, p08;
    }

    /** A cell's value. */
    abstract static class CellValue extends CellPadding {
        @SuppressWarnings("unused") // accessed through STATE
        volatile long value;
    }

    /**
     * A counter of requests in flight, with a cache line of padding on both sides (superclass fields are laid out
     * first), so that the threads counting in different cells never write the same cache line.
     *
     * <p>While admission is open and the drain has not begun, a request is counted in the cell its thread's id maps
     * to, by one atomic add that nobody else contends for unless two running threads map to the same cell: there is
     * nothing to decide, since every request is admitted. Outside that window the cells are <em>sealed</em>
     * ({@link #SEALED}): an add that finds its cell sealed goes on to the admission word (itself a cell, {@link
     * #state}, whose value is the word described in the class comment), where the flags decide. The drain begins by
     * sealing the cells, moving their counts to the word, then setting its bits ({@link #sealCellsAndBeginDrain()}),
     * so from then on the word alone counts and decides, as before the opening. Each request remembers where it was
     * counted, and its exit takes its one from there, or from the word if that cell was sealed meanwhile.
     */
    static final class Cell extends CellValue {
        long p11, p12, p13, p14, p15, p16, p17, p18;
        final InflightTracker tracker;

        Cell(InflightTracker tracker, long value) {
            this.tracker = tracker;
            STATE.setVolatile(this, value);
        }
    }
}
