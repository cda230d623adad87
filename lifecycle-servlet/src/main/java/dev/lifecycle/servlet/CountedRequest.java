package dev.lifecycle.servlet;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

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
 */
final class CountedRequest extends HttpServletRequestWrapper {

    private final InflightRequest inflight;
    private final Lifecycle lifecycle;
    // Written by the thread that starts async, read by the filter on the same thread after the chain returns, and by
    // getAsyncContext() from any thread the application hands the request to (volatile for the latter).
    private volatile CountedAsyncContext async;

    /**
     * The request attribute that holds the {@link InflightRequest} of a request that started async: an async
     * dispatch ({@code AsyncContext.dispatch()}) finds its count there. Set only for async requests.
     */
    static final String ASYNC_INFLIGHT = InflightRequest.class.getName();

    /** Whether the exit on async completion is registered already (an async dispatch of a counted request). */
    private final boolean exitRegistered;

    CountedRequest(HttpServletRequest request, InflightRequest inflight, Lifecycle lifecycle) {
        this(request, inflight, lifecycle, false);
    }

    /** The request of an async dispatch of a request counted by {@code inflight}. */
    CountedRequest(HttpServletRequest request, InflightRequest inflight, Lifecycle lifecycle,
                   boolean exitRegistered) {
        super(request);
        this.inflight = inflight;
        this.lifecycle = lifecycle;
        this.exitRegistered = exitRegistered;
    }

    InflightRequest inflight() {
        return inflight;
    }

    /** The upgrade through this wrapper, or {@code null}: {@link #UNCOUNTED_UPGRADE} or a counted one's drain. */
    private volatile Object upgrade;
    /** The application's drain listener for its upgraded connection, set by {@link #onUpgradeDrain}. */
    private volatile Runnable upgradeDrainListener;
    private volatile boolean upgradeDrainBegun;
    @SuppressWarnings("unused") // through UPGRADE_DRAIN_SIGNALLED: no allocation per request
    private volatile int upgradeDrainSignalled;
    private static final AtomicIntegerFieldUpdater<CountedRequest> UPGRADE_DRAIN_SIGNALLED =
            AtomicIntegerFieldUpdater.newUpdater(CountedRequest.class, "upgradeDrainSignalled");

    private static final Object UNCOUNTED_UPGRADE = new Object();
    private static final Object COUNTED_UPGRADE = new Object();

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
        return upgrade == COUNTED_UPGRADE;
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
            upgrade = UNCOUNTED_UPGRADE;
            return upgraded;
        }
        CountedUpgradeHandler counting = super.upgrade(CountedUpgradeHandler.class);
        counting.bind(handler, inflight);
        upgrade = COUNTED_UPGRADE;
        // Keeps the listener of a markLongLived() called before the upgrade; one called after is run by this one.
        inflight.markLongLived(this::upgradeDrainBegins);
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

    private void upgradeDrainBegins() {
        upgradeDrainBegun = true;
        runUpgradeDrainListener();
    }

    /** Sets the drain listener of an upgraded connection; run at once if the drain has begun. */
    void onUpgradeDrain(Runnable listener) {
        upgradeDrainListener = listener;
        if (upgradeDrainBegun) {
            runUpgradeDrainListener();
        }
    }

    private void runUpgradeDrainListener() {
        Runnable listener = upgradeDrainListener;
        if (listener != null && UPGRADE_DRAIN_SIGNALLED.compareAndSet(this, 0, 1)) {
            listener.run(); // on the thread that begins the drain, which logs and survives a failure
        }
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
        counted = new CountedAsyncContext(context, lifecycle);
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
}
