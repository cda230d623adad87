package dev.lifecycle.servlet;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.servlet.internal.CountedUpgradeHandler;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletRequestWrapper;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpUpgradeHandler;

/**
 * The request an admitted request is passed on as: it holds the request's {@link InflightRequest} (for
 * {@link LifecycleFilter#markLongLived}) and registers the exit on async completion the moment async starts.
 *
 * <p>Registering in {@code startAsync} rather than after the chain returns closes a race: when another thread calls
 * {@code AsyncContext.complete()} before the dispatch returns, Undertow clears {@code isAsyncStarted()} at once, so a
 * filter looking afterwards either missed the async request (and exited before its response was written) or had
 * {@code getAsyncContext()} throw. The {@link AsyncContext} handed out writes the response out before completing.
 *
 * <p>It also counts a request upgraded to the application's own {@code HttpUpgradeHandler} until the upgraded
 * connection ends (see {@link #upgrade}).
 */
final class CountedRequest extends HttpServletRequestWrapper {

    /**
     * The request attribute that holds the {@link InflightRequest} of a request that started async: an async
     * dispatch ({@code AsyncContext.dispatch()}) finds its count there. Set only for async requests.
     */
    static final String ASYNC_INFLIGHT = InflightRequest.class.getName();

    private final InflightRequest inflight;
    private final Lifecycle lifecycle;
    /** The response wrapper passed on with this request, handed out by the {@link AsyncContext} too; or {@code null}. */
    private final CloseOnDrainResponse closeOnDrain;
    /** Whether the exit on async completion is registered already (an async dispatch of a counted request). */
    private final boolean exitRegistered;
    // Written by the thread that starts async, read by the filter on the same thread after the chain returns, and by
    // getAsyncContext() from any thread the application hands the request to (volatile for the latter).
    private volatile CountedAsyncContext async;
    /** The upgrade through this wrapper, or {@code null}: allocated for an upgraded request only. */
    private volatile UpgradeDrain upgrade;

    /**
     * @param closeOnDrain the response wrapper the filter passes on with this request, or {@code null} (HTTP/2)
     * @param exitRegistered whether this is an async dispatch of a request counted by {@code inflight}
     */
    CountedRequest(HttpServletRequest request, InflightRequest inflight, Lifecycle lifecycle,
                   CloseOnDrainResponse closeOnDrain, boolean exitRegistered) {
        super(request);
        this.inflight = inflight;
        this.lifecycle = lifecycle;
        this.closeOnDrain = closeOnDrain;
        this.exitRegistered = exitRegistered;
    }

    InflightRequest inflight() {
        return inflight;
    }

    /** Whether async started through this wrapper: the exit is then registered on the async completion. */
    boolean exitsOnAsyncEnd() {
        return async != null;
    }

    /** Whether the request upgraded through this wrapper: its response is the container's to end. */
    boolean upgraded() {
        return upgrade != null;
    }

    /** Whether the upgraded connection counts until it ends: then the filter must not exit the request. */
    boolean upgradeCounted() {
        UpgradeDrain drain = upgrade;
        return drain != null && drain.counted;
    }

    /**
     * Counts an upgrade as long-lived until the upgraded connection ends ({@link HttpUpgradeHandler#destroy()}):
     * the container instantiates a {@link CountedUpgradeHandler} that passes {@code init} and {@code destroy} on
     * to the application's handler, created here with its public no-argument constructor. A container's own handler
     * (Tomcat's WebSocket one, which Tomcat drives through its internal interface) and a handler without a public
     * constructor are upgraded to as they are, and are not counted beyond the dispatch.
     */
    @Override
    public <T extends HttpUpgradeHandler> T upgrade(Class<T> handlerClass) throws IOException, ServletException {
        T handler = applicationHandler(handlerClass);
        if (handler == null) {
            T upgraded = super.upgrade(handlerClass);
            upgrade = new UpgradeDrain(false);
            return upgraded;
        }
        CountedUpgradeHandler counting = super.upgrade(CountedUpgradeHandler.class);
        counting.bind(handler, inflight);
        UpgradeDrain drain = new UpgradeDrain(true);
        upgrade = drain;
        // Keeps the listener of a markLongLived() called before the upgrade; one called after is run by this one.
        inflight.markLongLived(drain::begins);
        return handler;
    }

    /** The application's handler, or {@code null} for a container's own one or one this cannot create. */
    private static <T extends HttpUpgradeHandler> T applicationHandler(Class<T> handlerClass) {
        if (implementsContainerInterface(handlerClass)) {
            return null;
        }
        try {
            return handlerClass.getConstructor().newInstance();
        } catch (ReflectiveOperationException | RuntimeException notCreatable) {
            return null;
        }
    }

    private static boolean implementsContainerInterface(Class<?> type) {
        for (Class<?> current = type; current != null; current = current.getSuperclass()) {
            for (Class<?> implemented : current.getInterfaces()) {
                String name = implemented.getName();
                if (name.startsWith("org.apache.") || name.startsWith("org.eclipse.jetty.")
                    || name.startsWith("io.undertow.") || implementsContainerInterface(implemented)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Sets the drain listener of a counted upgraded connection; run at once if the drain has begun. */
    void onUpgradeDrain(Runnable listener) {
        upgrade.listener(listener);
    }

    @Override
    public AsyncContext startAsync() {
        return counted(super.startAsync());
    }

    @Override
    public AsyncContext startAsync(ServletRequest request, ServletResponse response) {
        return counted(super.startAsync(request, response));
    }

    @Override
    public AsyncContext getAsyncContext() {
        AsyncContext context = super.getAsyncContext();
        CountedAsyncContext counted = async;
        return counted != null && counted.delegate() == context ? counted : context;
    }

    private AsyncContext counted(AsyncContext context) {
        CountedAsyncContext counted = async;
        if (counted != null && counted.delegate() == context) {
            return counted;
        }
        if (counted == null && !exitRegistered) {
            // Once: the listener re-registers itself when the application starts async again.
            context.addListener(new ExitOnAsyncEnd(inflight));
            setAttribute(ASYNC_INFLIGHT, inflight);
        }
        counted = new CountedAsyncContext(context, lifecycle, closeOnDrain);
        async = counted;
        return counted;
    }

    /** Finds the counted request behind {@code request} and its wrappers, or {@code null}. */
    static CountedRequest find(ServletRequest request) {
        ServletRequest current = request;
        while (current instanceof ServletRequestWrapper) {
            if (current instanceof CountedRequest) {
                return (CountedRequest) current;
            }
            current = ((ServletRequestWrapper) current).getRequest();
        }
        return null;
    }

    /**
     * An upgraded connection's drain: the application's listener may be given after the upgrade marked the request
     * long-lived (the handler exists only once {@code upgrade()} returned), so the mark's listener runs it, when both
     * the drain has begun and the listener is set, once.
     */
    private static final class UpgradeDrain {
        final boolean counted;
        private volatile Runnable listener;
        private volatile boolean begun;
        private final AtomicBoolean signalled = new AtomicBoolean();

        UpgradeDrain(boolean counted) {
            this.counted = counted;
        }

        void begins() {
            begun = true;
            signal();
        }

        void listener(Runnable onDrain) {
            listener = onDrain;
            if (begun) {
                signal();
            }
        }

        private void signal() {
            Runnable onDrain = listener;
            if (onDrain != null && signalled.compareAndSet(false, true)) {
                onDrain.run(); // on the thread that begins the drain, which logs and survives a failure
            }
        }
    }
}
