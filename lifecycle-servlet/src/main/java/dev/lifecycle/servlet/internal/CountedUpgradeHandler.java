package dev.lifecycle.servlet.internal;

import dev.lifecycle.core.InflightRequest;
import jakarta.servlet.http.HttpUpgradeHandler;
import jakarta.servlet.http.WebConnection;

/**
 * The handler a counted request really upgrades to: the container instantiates it (hence public, with a public
 * constructor) and calls its {@link #init} and {@link #destroy}, which go to the application's handler; the request
 * stops counting once the application's handler has been destroyed, when the upgraded connection ends. Not an API:
 * {@code LifecycleFilter}'s request wrapper binds it.
 */
public final class CountedUpgradeHandler implements HttpUpgradeHandler {

    // Bound by the thread that upgrades, before the container calls init() (it does so once the dispatch returned).
    private volatile HttpUpgradeHandler delegate;
    private volatile InflightRequest inflight;

    /** Called by the container. */
    public CountedUpgradeHandler() {
    }

    /**
     * Binds the application's handler and the request's count.
     *
     * @param delegate the application's handler
     * @param inflight the upgraded request's count, exited after {@code delegate}'s {@link #destroy()}
     */
    public void bind(HttpUpgradeHandler delegate, InflightRequest inflight) {
        this.delegate = delegate;
        this.inflight = inflight;
    }

    @Override
    public void init(WebConnection connection) {
        delegate.init(connection);
    }

    @Override
    public void destroy() {
        try {
            HttpUpgradeHandler handler = delegate;
            if (handler != null) {
                handler.destroy();
            }
        } finally {
            InflightRequest request = inflight;
            if (request != null) {
                request.exit();
            }
        }
    }
}
