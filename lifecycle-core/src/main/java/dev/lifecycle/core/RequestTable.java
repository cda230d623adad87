package dev.lifecycle.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * Where a described request is kept while it is in flight, for the drain-timeout report: a fixed array of slots,
 * cut into stripes, each request in one slot. It replaces a concurrent set, whose insertion and removal (a node
 * allocation, hashing, and contention on shared bins) cost far more than the admission itself.
 *
 * <p>A thread claims a free slot in the stripe its id hashes to (then in the next stripe) by compare-and-set from
 * {@code null} to the request, and the request's exit clears it by compare-and-set from the request back to
 * {@code null}. That second compare-and-set is also what makes the exit one-shot: of two exits, or an exit and
 * {@link InflightRequest#markLongLived}, exactly one takes the request out of its slot. A request is never put into a
 * slot twice, so a slot holding the request means that the request is still in the main count (no ABA). When both
 * stripes are full (a thread with many requests in flight, such as an event loop), {@link #claim} fails and the
 * tracker keeps the request in its fallback set instead: no request is ever left undescribed.
 *
 * <p>Stripes sit two cache lines apart (sixteen slots used, sixteen left empty), so that threads on different
 * stripes never write the same cache line. {@link #addTo} reads every slot without locking; it may miss a request
 * admitted meanwhile or list one that has just exited, which a report written once at the drain timeout tolerates.
 */
final class RequestTable {

    static final int SLOTS_PER_STRIPE = 16;
    /** Slots from one stripe's start to the next: the used sixteen plus as many left empty, 128 bytes or more. */
    private static final int STRIDE = 2 * SLOTS_PER_STRIPE;
    /** Unused slots before the first stripe, so that it does not share a cache line with the array's header. */
    private static final int LEADING = SLOTS_PER_STRIPE;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(InflightRequest[].class);

    private final InflightRequest[] slots;
    private final int stripeMask;

    /** A table with at least {@code stripes} stripes (rounded up to a power of two). */
    RequestTable(int stripes) {
        int rounded = Integer.highestOneBit(Math.max(1, stripes - 1) << 1);
        this.stripeMask = rounded - 1;
        this.slots = new InflightRequest[LEADING + rounded * STRIDE];
    }

    /** Four stripes per processor, at least sixteen: threads rarely share one. */
    static RequestTable forThisMachine() {
        return new RequestTable(Math.min(1024, Math.max(16, 4 * Runtime.getRuntime().availableProcessors())));
    }

    /**
     * Puts {@code request} into a free slot of the calling thread's stripe, or of the next one.
     *
     * @return the slot, or {@code -1} if both stripes are full
     */
    int claim(InflightRequest request) {
        long id = Thread.currentThread().getId();
        int stripe = (int) ((id * 0x9E3779B97F4A7C15L) >>> 40) & stripeMask;
        int slot = claimIn(LEADING + stripe * STRIDE, request);
        return slot >= 0 ? slot : claimIn(LEADING + ((stripe + 1) & stripeMask) * STRIDE, request);
    }

    private int claimIn(int first, InflightRequest request) {
        InflightRequest[] table = slots;
        for (int slot = first, end = first + SLOTS_PER_STRIPE; slot < end; slot++) {
            if (SLOT.getOpaque(table, slot) == null && SLOT.compareAndSet(table, slot, null, request)) {
                return slot;
            }
        }
        return -1;
    }

    /** Takes {@code request} out of {@code slot}; {@code false} if someone else already did. */
    boolean release(int slot, InflightRequest request) {
        return SLOT.compareAndSet(slots, slot, request, null);
    }

    /** Whether {@code request} is (still) in {@code slot}. */
    boolean holds(int slot, InflightRequest request) {
        return SLOT.getAcquire(slots, slot) == request;
    }

    /** Adds every request found in a slot to {@code requests}. */
    void addTo(List<InflightRequest> requests) {
        InflightRequest[] table = slots;
        for (int slot = LEADING; slot < table.length; slot++) {
            InflightRequest request = (InflightRequest) SLOT.getAcquire(table, slot);
            if (request != null) {
                requests.add(request);
            }
        }
    }

    /** The number of slots, used or not. */
    int capacity() {
        return (stripeMask + 1) * SLOTS_PER_STRIPE;
    }
}
