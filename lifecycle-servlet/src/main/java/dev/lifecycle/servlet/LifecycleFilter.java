package dev.lifecycle.servlet;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Counts every request in the {@link Lifecycle}'s in-flight tracker, from its arrival to the end of its response, and
 * refuses requests while the service is not ready or after admission has closed for the drain. Map it on {@code /*}
 * for the {@code REQUEST} dispatch, first in the chain, with async support on; {@link LifecycleServlets#register}
 * does all of that.
 *
 * <ul>
 * <li>An admitted request is counted until the filter chain returns or, if it started async processing, until its
 *     {@code AsyncContext} completes (also after an async timeout or error, which end in a completion).</li>
 * <li>While the lifecycle {@linkplain Lifecycle#isDraining() drains}, responses carry {@code Connection: close} so
 *     keep-alive clients reconnect to another replica: set before the application runs, or, for a request admitted
 *     earlier, when the chain returns if the response is not committed yet.</li>
 * <li>A refused request gets {@code 503}, {@code Retry-After}, {@code Connection: close} and a short plain-text body;
 *     the application never sees it.</li>
 * <li>{@linkplain LifecycleFilterBuilder#excludePaths Excluded paths} (the probes by default) are neither counted nor
 *     refused.</li>
 * </ul>
 *
 * <p>In-flight requests are described by method and path only; the query string is never kept.
 */
public final class LifecycleFilter implements Filter {

    private static final String CONNECTION = "Connection";
    private static final String CLOSE = "close";
    private static final byte[] STARTING_BODY = "Service Unavailable: starting\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] STOPPING_BODY =
            "Service Unavailable: shutting down\n".getBytes(StandardCharsets.UTF_8);

    private final Lifecycle lifecycle;
    private final InflightTracker tracker;
    private final PathPattern[] excludedPaths;
    private final String retryAfter;

    /**
     * Creates a filter with the default settings: the paths of a default {@link HealthServlet} are excluded.
     *
     * @throws NullPointerException if {@code lifecycle} is {@code null}
     */
    public LifecycleFilter(Lifecycle lifecycle) {
        this(requireNonNull(lifecycle, "lifecycle cannot be null"), LifecycleFilterBuilder.DEFAULT_EXCLUDED_PATHS);
    }

    LifecycleFilter(Lifecycle lifecycle, List<PathPattern> excludedPaths) {
        this.lifecycle = lifecycle;
        this.tracker = lifecycle.tracker();
        this.excludedPaths = excludedPaths.toArray(new PathPattern[0]);
        this.retryAfter = Long.toString(lifecycle.retryAfterSeconds());
    }

    /**
     * Returns a builder to configure the excluded paths.
     *
     * @throws NullPointerException if {@code lifecycle} is {@code null}
     */
    public static LifecycleFilterBuilder builder(Lifecycle lifecycle) {
        return new LifecycleFilterBuilder(lifecycle);
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        if (!(req instanceof HttpServletRequest) || !(res instanceof HttpServletResponse)
                || req.getDispatcherType() != DispatcherType.REQUEST) {
            // Forwards, includes, async and error dispatches belong to a request that is already counted.
            chain.doFilter(req, res);
            return;
        }
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        if (isExcluded(request)) {
            chain.doFilter(request, response);
            return;
        }
        // The request URI without the query: the query may hold secrets and is never needed.
        InflightRequest inflight = tracker.tryEnter(request.getMethod(), request.getRequestURI());
        if (!inflight.admitted()) {
            refuse(response);
            return;
        }
        boolean exitsOnAsyncEnd = false;
        try {
            if (lifecycle.isDraining()) {
                // Before the application runs: it may commit the response at any point.
                response.setHeader(CONNECTION, CLOSE);
            }
            chain.doFilter(request, response);
            if (request.isAsyncStarted()) {
                // Still inside the dispatch that started async, so the listener cannot miss the completion: the
                // container defers a complete() made meanwhile by another thread until this dispatch returns.
                request.getAsyncContext().addListener(new ExitOnAsyncEnd(inflight));
                exitsOnAsyncEnd = true;
            }
        } finally {
            if (!exitsOnAsyncEnd) {
                try {
                    // Admitted before the drain began, ended during it: close the connection if still possible.
                    if (lifecycle.isDraining() && !response.isCommitted()) {
                        response.setHeader(CONNECTION, CLOSE);
                    }
                } finally {
                    inflight.exit();
                }
            }
        }
    }

    private boolean isExcluded(HttpServletRequest request) {
        PathPattern[] patterns = excludedPaths;
        if (patterns.length == 0) {
            return false;
        }
        String servletPath = request.getServletPath();
        String pathInfo = request.getPathInfo();
        for (PathPattern pattern : patterns) {
            if (pattern.matches(servletPath, pathInfo)) {
                return true;
            }
        }
        return false;
    }

    private void refuse(HttpServletResponse response) throws IOException {
        byte[] body = lifecycle.isDraining() || tracker.isClosed() ? STOPPING_BODY : STARTING_BODY;
        response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        response.setHeader("Retry-After", retryAfter);
        response.setHeader(CONNECTION, CLOSE);
        response.setContentType("text/plain;charset=utf-8");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /** Exits the request when its async processing ends; re-registers itself if the application restarts async. */
    private static final class ExitOnAsyncEnd implements AsyncListener {

        private final InflightRequest inflight;

        ExitOnAsyncEnd(InflightRequest inflight) {
            this.inflight = inflight;
        }

        @Override
        public void onComplete(AsyncEvent event) {
            inflight.exit();
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            // A timeout always ends in onComplete, once the application or the container has written the response.
        }

        @Override
        public void onError(AsyncEvent event) {
            // Likewise an error.
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            // startAsync() again in an async dispatch drops the listeners that do not add themselves back.
            event.getAsyncContext().addListener(this);
        }
    }
}
