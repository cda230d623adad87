package dev.lifecycle.netty;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.State;

/**
 * TEMPORARY shim: calls a listener once, when the lifecycle's admission closes. To be replaced by the core hook
 * {@code InflightTracker.onClose(Runnable)} (proposed with issue 6), after which {@link NettyLifecycle} registers its
 * listener there and this class goes away.
 *
 * <p>Core has no admission-closed listener yet; the only thing it signals at that moment is the drain listener of a
 * long-lived request. So, as soon as admission is open, this admits one sentinel request and marks it long-lived: when
 * admission closes, core calls its drain listener, which exits the sentinel and runs the real listener, on the thread
 * closing admission and before the drain starts. Cost, until the hook exists: while the service is ready, the
 * long-lived count (probe bodies, metrics) includes the sentinel. It is exited before the drain, so it never delays
 * the drain nor shows in the drain-timeout WARN.
 */
final class AdmissionClosedShim {

    private final Lifecycle lifecycle;
    private final Runnable listener;
    private volatile boolean armed;

    AdmissionClosedShim(Lifecycle lifecycle, Runnable listener) {
        this.lifecycle = lifecycle;
        this.listener = listener;
    }

    /**
     * Admits the sentinel if admission is open and it was not admitted yet. Called on every new connection and every
     * admitted request, since core has no "ready" event either: one volatile read once armed.
     */
    void arm() {
        if (armed) {
            return;
        }
        State state = lifecycle.state();
        InflightTracker tracker = lifecycle.tracker();
        // Checked first so that calls while starting do not count as refused requests.
        if ((state != State.READY && state != State.DRAINING) || tracker.isClosed()) {
            return;
        }
        synchronized (this) {
            if (armed) {
                return;
            }
            InflightRequest sentinel = tracker.tryEnter();
            if (!sentinel.admitted()) {
                return;
            }
            armed = true;
            sentinel.markLongLived(() -> {
                sentinel.exit();
                listener.run();
            });
        }
    }
}
