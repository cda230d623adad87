package dev.lifecycle.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * Where a described request is kept while it is in flight, for the drain-timeout report. It replaces a concurrent
 * set, whose insertion and removal (a node allocation, hashing, contention on shared bins) cost far more than the
 * admission itself.
 *
 * <h2>Layout</h2>
 * A fixed number of stripes; each thread is mapped by its id to a stripe (or one of the next three) that it
 * <em>owns</em>: the first thread to come to a stripe owns it, and a thread that has terminated gives it up to the
 * next one that comes. A stripe is a chain of {@link Chunk chunks} of {@value #CHUNK} slots: its owner puts each
 * request into the next unused slot of the newest chunk with a plain store, no compare-and-set, since nobody else ever
 * puts anything there; a full chunk is replaced by a new one that links the older chunks still holding requests. A
 * request's exit clears its slot by compare-and-set from the request to {@code null}, from any thread. That
 * compare-and-set is also what makes the exit one-shot: of two exits, or an exit and
 * {@link InflightRequest#markLongLived}, exactly one takes the request out of its slot. A slot is used once, never
 * again, so a slot holding the request means that the request is still in the main count (no ABA). A thread that
 * finds no stripe of its own (more threads than stripes) gets {@code false} from {@link #claim}: the tracker keeps
 * its requests in a fallback set instead, so that no request is ever left undescribed.
 *
 * <h2>Why chunks rather than one fixed array</h2>
 * Storing a reference into an object that has moved to the old generation costs a store barrier; G1's includes a
 * full fence and, whenever the card was cleaned meanwhile, a trip through its refinement queue: measured here, about
 * 40 ns per request, four times the rest of the admission. A chunk is young for most of its short life (a busy thread
 * fills it in microseconds), so filling its slots costs no fence; clearing a slot stores {@code null}, which needs no
 * card. Only the switch to a new chunk, once every {@value #CHUNK} requests, stores into the long-lived stripe array.
 *
 * <p>{@link #addTo} reads every chain without locking: the owner only ever unlinks chunks it found empty, and a chunk
 * that is not the newest never receives a request again, so a reader walking the old links still sees every request.
 * It may miss a request admitted meanwhile or list one that has just exited, which a report written once, at the
 * drain timeout, tolerates.
 */
final class RequestTable {

    static final int CHUNK = 64;
    /** How many further stripes a thread tries when its own is owned by another live thread. */
    private static final int PROBES = 4;
    /** How many retired chunks a switch examines to unlink the empty ones: bounds the switch's work. */
    private static final int PRUNE_BUDGET = 8;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(InflightRequest[].class);
    private static final VarHandle OWNER = MethodHandles.arrayElementVarHandle(Thread[].class);
    private static final VarHandle HEAD = MethodHandles.arrayElementVarHandle(Chunk[].class);

    /** The owner of each stripe, {@code null} until a thread comes to it. */
    private final Thread[] owners;
    /** The newest chunk of each stripe; written by its owner only. */
    private final Chunk[] heads;
    private final int mask;
    /** Shifts a thread's hashed id to a stripe: its top bits, so that consecutive ids get distant stripes. */
    private final int stripeShift;

    /** A table of at least {@code stripes} stripes, rounded up to a power of two. */
    RequestTable(int stripes) {
        int rounded = stripes <= 1 ? 1 : Integer.highestOneBit(stripes - 1) << 1;
        this.mask = rounded - 1;
        this.stripeShift = Long.SIZE - Integer.numberOfTrailingZeros(rounded);
        this.owners = new Thread[rounded];
        this.heads = new Chunk[rounded];
    }

    /** Sixteen stripes per processor, at least 256: a stripe for every thread of a typical server's pool. */
    static RequestTable forThisMachine() {
        return new RequestTable(Math.min(4096, Math.max(256, 16 * Runtime.getRuntime().availableProcessors())));
    }

    /**
     * Puts {@code request} into a slot of a stripe that the calling thread owns, and tells the request where.
     *
     * @return {@code false} if the thread owns no stripe and cannot take one
     */
    boolean claim(InflightRequest.Described request) {
        Thread current = Thread.currentThread();
        return claim(request, current, current.getId() * InflightTracker.GOLDEN);
    }

    /**
     * {@link #claim(InflightRequest.Described)} for the calling thread {@code current}, whose id times
     * {@link InflightTracker#GOLDEN} the caller computed already.
     */
    boolean claim(InflightRequest.Described request, Thread current, long hash) {
        int stripe = (int) (hash >>> stripeShift) & mask; // the mask for a single stripe, whose shift is 64: none
        // The fast path reads one array element: a chunk is started by its stripe's owner and names it, and a stripe
        // changes owner only when its owner has terminated, so a chunk naming the calling thread is of its stripe.
        Chunk chunk = (Chunk) HEAD.getOpaque(heads, stripe);
        if (chunk == null || chunk.owner != current || chunk.used == CHUNK) {
            if ((Thread) OWNER.getOpaque(owners, stripe) != current) {
                stripe = takeStripe(stripe, current);
                if (stripe < 0) {
                    return false;
                }
            }
            chunk = (Chunk) HEAD.getOpaque(heads, stripe);
            if (chunk == null || chunk.owner != current || chunk.used == CHUNK) {
                chunk = newChunk(stripe, chunk, current);
            }
        }
        int slot = chunk.used++;
        SLOT.setRelease(chunk.slots, slot, (InflightRequest) request);
        request.chunk = chunk;
        request.slot = slot;
        return true;
    }

    /**
     * Finds a stripe for a thread that does not own the one its id maps to: that one or one of the next, free or
     * given up by a terminated thread. A new owner starts a new chunk: it does not read the old owner's fill count.
     *
     * @return the stripe, or {@code -1}
     */
    private int takeStripe(int first, Thread current) {
        for (int i = 0; i < PROBES; i++) {
            int stripe = (first + i) & mask;
            Thread owner = (Thread) OWNER.getOpaque(owners, stripe);
            if (owner == current) {
                return stripe;
            }
            if ((owner == null || owner.getState() == Thread.State.TERMINATED)
                && OWNER.compareAndSet(owners, stripe, owner, current)) {
                Chunk head = (Chunk) HEAD.getAcquire(heads, stripe);
                if (head != null) {
                    newChunk(stripe, head, current);
                }
                return stripe;
            }
        }
        return -1;
    }

    /** Replaces the stripe's newest chunk, keeping the retired ones that still hold requests linked. */
    private Chunk newChunk(int stripe, Chunk retired, Thread owner) {
        Chunk chunk = new Chunk(retired == null ? null : prune(retired), owner);
        HEAD.setRelease(heads, stripe, chunk);
        return chunk;
    }

    /**
     * The chain starting at {@code chunk} without its empty chunks, among the first {@value #PRUNE_BUDGET} examined;
     * the rest of the chain is kept as it is.
     */
    private static Chunk prune(Chunk chunk) {
        Chunk first = null;
        Chunk last = null;
        Chunk current = chunk;
        for (int examined = 0; current != null && examined < PRUNE_BUDGET; examined++) {
            Chunk older = current.older;
            if (!current.isEmpty()) {
                if (last == null) {
                    first = current;
                } else {
                    last.older = current;
                }
                last = current;
            }
            current = older;
        }
        if (last == null) {
            return current;
        }
        if (last.older != current) {
            last.older = current;
        }
        return first;
    }

    /** Takes {@code request} out of its slot; {@code false} if someone else already did. */
    static boolean release(Chunk chunk, int slot, InflightRequest request) {
        return SLOT.compareAndSet(chunk.slots, slot, request, (InflightRequest) null);
    }

    /** Adds every request found in a slot to {@code requests}. */
    void addTo(List<InflightRequest> requests) {
        for (int stripe = 0; stripe <= mask; stripe++) {
            for (Chunk chunk = (Chunk) HEAD.getAcquire(heads, stripe); chunk != null; chunk = chunk.older) {
                for (int slot = 0; slot < CHUNK; slot++) {
                    InflightRequest request = (InflightRequest) SLOT.getAcquire(chunk.slots, slot);
                    if (request != null) {
                        requests.add(request);
                    }
                }
            }
        }
    }

    /** {@value #CHUNK} slots, filled in order by the stripe's owner, each emptied by its request's exit. */
    static final class Chunk {
        final InflightRequest[] slots = new InflightRequest[CHUNK];
        /** The stripe's owner when the chunk was started: the one thread that fills it. */
        final Thread owner;
        /** Slots handed out so far; read and written by the stripe's owner only. */
        int used;
        /** The next older chunk that held a request when last examined. */
        volatile Chunk older;

        Chunk(Chunk older, Thread owner) {
            this.older = older;
            this.owner = owner;
        }

        boolean isEmpty() {
            for (int slot = 0; slot < CHUNK; slot++) {
                if ((InflightRequest) SLOT.getAcquire(slots, slot) != null) {
                    return false;
                }
            }
            return true;
        }
    }
}
