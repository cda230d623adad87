package dev.lifecycle.servlet;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.Lifecycle;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletRequestWrapper;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;

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

    /** Whether async started through this wrapper: the exit is then registered on the async completion. */
    boolean exitsOnAsyncEnd() {
        return async != null;
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
