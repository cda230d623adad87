package dev.lifecycle.servlet;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRegistration;
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
 * <li>An admitted request is counted until its response has been written: when the filter chain returns, the
 *     filter ends the response (the container's buffered rest is written, blocking as the application's writes do)
 *     before the request stops counting. A request that started async processing is counted until its
 *     {@code AsyncContext} completes (also after an async timeout or error, which end in a completion); the
 *     {@code AsyncContext} it gets writes the response out in {@code complete()} first. The application receives a
 *     request wrapper, which registers the completion the moment async starts, and, over HTTP/1.x, a response
 *     wrapper (see below); {@code ServletResponseWrapper.getResponse()} returns the container's response.</li>
 * <li>{@link #markLongLived(ServletRequest, Runnable)} moves a stream (SSE, long-poll) to the long-lived count,
 *     told to end when the drain begins. A request upgraded to the application's own {@code HttpUpgradeHandler}
 *     counts as long-lived until its connection ends.</li>
 * <li>While the lifecycle {@linkplain Lifecycle#isDraining() drains} (from the start of the shutdown, the pre-stop
 *     delay included), every response committed carries {@code Connection: close}, so that keep-alive clients
 *     reconnect to another replica: set before the application runs, and, for a request admitted earlier, the moment
 *     its response is committed: the response wrapper adds it before each write, flush or close of its stream or
 *     writer, {@code flushBuffer()}, {@code sendError()} and {@code sendRedirect()} (also through the
 *     {@code AsyncContext}'s response, from another thread), and the filter when the chain returns or the
 *     {@code AsyncContext} completes. Not on a response committed before the drain began (a stream: its connection's
 *     next request gets it), nor on what the application commits on the container's own response, past the
 *     wrapper, nor on a {@code 101 Switching Protocols}.</li>
 * <li>A refused request gets {@code 503}, {@code Retry-After}, {@code Connection: close} and a short plain-text body;
 *     the application never sees it.</li>
 * <li>{@code Connection: close} is only ever set over HTTP/1.x: HTTP/2 forbids connection-specific headers; the
 *     container's GOAWAY (see its integration) moves HTTP/2 clients.</li>
 * <li>{@linkplain LifecycleFilterBuilder#excludePaths Excluded paths} (the probes by default) are neither counted nor
 *     refused.</li>
 * </ul>
 *
 * <p>In-flight requests are described by method and path only; the query string is never kept.
 */
public final class LifecycleFilter implements Filter {

    private static final String CONNECTION = "Connection";
    private static final String CLOSE = "close";

    // Set once, by a constructor or, for a filter declared in web.xml, by init(), which the container calls before
    // any request: not final, but safely published by the container.
    private Lifecycle lifecycle;
    private InflightTracker tracker;
    private boolean describeRequests;
    private PathPattern[] excludedPaths;

    /**
     * Creates a filter with the default settings: the paths of a default {@link HealthServlet} are excluded.
     *
     * @throws NullPointerException if {@code lifecycle} is {@code null}
     */
    public LifecycleFilter(Lifecycle lifecycle) {
        configure(requireNonNull(lifecycle, "lifecycle cannot be null"), LifecycleFilterBuilder.DEFAULT_EXCLUDED_PATHS);
    }

    /**
     * Creates a filter for {@code web.xml}, which instantiates filters by class name: {@link #init(FilterConfig)}
     * takes the {@link Lifecycle} from the servlet context attribute {@value LifecycleServlets#LIFECYCLE_ATTRIBUTE},
     * and the excluded paths from the optional init parameter {@code excludePaths}, a comma-separated list (see
     * {@link LifecycleFilterBuilder#excludePaths}; empty for none).
     */
    public LifecycleFilter() {
    }

    LifecycleFilter(Lifecycle lifecycle, List<PathPattern> excludedPaths) {
        configure(lifecycle, excludedPaths);
    }

    private void configure(Lifecycle lifecycle, List<PathPattern> excludedPaths) {
        this.lifecycle = lifecycle;
        this.tracker = lifecycle.tracker();
        this.describeRequests = tracker.describesRequests();
        this.excludedPaths = excludedPaths.toArray(new PathPattern[0]);
    }

    /**
     * Configures a filter created by {@link #LifecycleFilter()}; does nothing for one created with a lifecycle.
     *
     * @throws ServletException if the servlet context attribute {@value LifecycleServlets#LIFECYCLE_ATTRIBUTE} holds
     *     no {@link Lifecycle}
     * @throws IllegalArgumentException if the init parameter {@code excludePaths} holds a malformed path
     */
    @Override
    public void init(FilterConfig config) throws ServletException {
        if (lifecycle == null) {
            LifecycleFilterBuilder builder = builder(LifecycleServlets.lifecycle(config.getServletContext()));
            String excludePaths = config.getInitParameter("excludePaths");
            if (excludePaths != null) {
                builder.excludePaths(LifecycleServlets.split(excludePaths));
            }
            LifecycleFilter built = builder.build();
            configure(built.lifecycle, List.of(built.excludedPaths));
        }
        excludedPaths = withHealthServletMappings(config.getServletContext(), excludedPaths);
    }

    /**
     * Adds the mappings of the context's {@link HealthServlet}s to the excluded paths, so that probe paths set on
     * the servlet need not be set on the filter too. Servlets are all registered before filters are initialised.
     */
    static PathPattern[] withHealthServletMappings(ServletContext context, PathPattern[] excluded) {
        List<PathPattern> patterns = new ArrayList<>(List.of(excluded));
        for (ServletRegistration registration : context.getServletRegistrations().values()) {
            if (!HealthServlet.class.getName().equals(registration.getClassName())) {
                continue;
            }
            for (String mapping : registration.getMappings()) {
                if (mapping.equals("/")) {
                    continue; // the default servlet's mapping: every path
                }
                try {
                    patterns.add(PathPattern.parse("excludePaths", mapping, true));
                } catch (IllegalArgumentException notAPathMapping) {
                    // an extension ("*.probe") or the context root (""): a probe path is never one of these
                }
            }
        }
        return patterns.toArray(new PathPattern[0]);
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
        if (!(req instanceof HttpServletRequest) || !(res instanceof HttpServletResponse)) {
            chain.doFilter(req, res);
            return;
        }
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        DispatcherType dispatch = req.getDispatcherType();
        if (dispatch != DispatcherType.REQUEST) {
            Object inflight = dispatch == DispatcherType.ASYNC ? request.getAttribute(CountedRequest.ASYNC_INFLIGHT)
                                                              : null;
            if (inflight instanceof InflightRequest) {
                asyncDispatch(request, response, chain, (InflightRequest) inflight);
            } else {
                // Forwards, includes and error dispatches belong to a request that is already counted.
                chain.doFilter(req, res);
            }
            return;
        }
        if (isExcluded(request)) {
            chain.doFilter(request, response);
            return;
        }
        // The request URI without the query: the query may hold secrets and is never needed.
        InflightRequest inflight = describeRequests ? tracker.tryEnter(request.getMethod(), request.getRequestURI())
                                                    : tracker.tryEnter();
        if (!inflight.admitted()) {
            refuse(request, response);
            return;
        }
        boolean exitsOnAsyncEnd = false;
        boolean upgraded = false;
        // HTTP/2 forbids connection-specific headers (strict clients reject the response): GOAWAY moves its clients.
        boolean http1 = ResponseCompletion.isHttp1(request);
        // Sets Connection: close when the application commits the response, if the drain has begun by then.
        CloseOnDrainResponse closeOnDrain = http1 ? new CloseOnDrainResponse(response, lifecycle) : null;
        CountedRequest counted = new CountedRequest(request, inflight, lifecycle, closeOnDrain, false);
        try {
            if (http1 && lifecycle.isDraining()) {
                // Before the application runs, also for what it writes past the wrapper, on the container's response.
                response.setHeader(CONNECTION, CLOSE);
            }
            chain.doFilter(counted, http1 ? closeOnDrain : response);
            if (counted.upgraded() || response.getStatus() == HttpServletResponse.SC_SWITCHING_PROTOCOLS) {
                // The connection speaks another protocol now: its response is not this filter's to end. Counted
                // until the connection ends when upgraded through the wrapper to the application's own handler.
                upgraded = true;
                exitsOnAsyncEnd = counted.upgradeCounted();
            } else if (counted.exitsOnAsyncEnd()) {
                exitsOnAsyncEnd = true;
            } else if (request.isAsyncStarted()) {
                // Started on the container's request, past this filter's wrapper (a filter that unwrapped it).
                exitsOnAsyncEnd = exitOnAsyncEnd(request, inflight);
            } else {
                // Counted until the last byte: the container would write the buffered rest after this returns.
                ResponseCompletion.finish(response, lifecycle, http1);
            }
        } finally {
            if (!exitsOnAsyncEnd) {
                try {
                    // An exception from the chain: the container writes the error response after this returns.
                    if (http1 && !upgraded && lifecycle.isDraining() && !response.isCommitted()) {
                        response.setHeader(CONNECTION, CLOSE);
                    }
                } finally {
                    inflight.exit();
                }
            }
        }
    }

    /**
     * An {@code AsyncContext.dispatch()} of a counted request. The request still counts (the exit is registered on
     * the async completion); a dispatch that does not start async again is the final one, and its response is ended
     * here, before the container completes the request: Tomcat runs the completion listeners while the buffered rest
     * of an async response is still being written, so the count would drop before the last byte.
     */
    private void asyncDispatch(HttpServletRequest request, HttpServletResponse response, FilterChain chain,
                               InflightRequest inflight) throws IOException, ServletException {
        boolean http1 = ResponseCompletion.isHttp1(request);
        CloseOnDrainResponse closeOnDrain = null;
        if (response instanceof CloseOnDrainResponse) {
            closeOnDrain = (CloseOnDrainResponse) response; // started with startAsync(request, response): ours
        } else if (http1) {
            closeOnDrain = new CloseOnDrainResponse(response, lifecycle);
        }
        CountedRequest counted = new CountedRequest(request, inflight, lifecycle, closeOnDrain, true);
        chain.doFilter(counted, closeOnDrain != null ? closeOnDrain : response);
        if (!counted.exitsOnAsyncEnd() && !request.isAsyncStarted() && !inflight.isDone()) {
            ResponseCompletion.finish(response, lifecycle, http1);
        }
    }

    private static boolean exitOnAsyncEnd(HttpServletRequest request, InflightRequest inflight) {
        try {
            request.getAsyncContext().addListener(new ExitOnAsyncEnd(inflight));
            request.setAttribute(CountedRequest.ASYNC_INFLIGHT, inflight);
            return true;
        } catch (IllegalStateException completedMeanwhile) {
            return false;
        }
    }

    /**
     * Marks the request as long-lived (a server-sent event stream, a long-poll): it leaves the main in-flight count
     * and is drained under the lifecycle's shorter {@code longLivedDrainTimeout}. {@code onDrain} is called once, as
     * soon as the drain begins (at once if it already has); it should end the stream, for example with a last event
     * telling the client to reconnect, so that the client moves to another replica. It runs on the thread that
     * begins the drain: it must not block. The request stays counted until its response ends, as any request.
     *
     * <p>Pass the request your servlet or filter received (or a wrapper of it); the container's own request, such as
     * the one {@code AsyncContext.getRequest()} returns after {@code startAsync()}, does not carry the count.
     *
     * <p>A request upgraded with {@code request.upgrade(handlerClass)} to the application's own
     * {@code HttpUpgradeHandler} (one with a public no-argument constructor) is long-lived already: it counts until
     * the container destroys the handler, when the upgraded connection ends. This method, called before or after
     * {@code upgrade()}, gives it its drain listener, typically one that tells the client to close or reconnect
     * (Tomcat notices an upgraded connection closed by another thread only at its next event):
     * {@code markLongLived(request, handler::sayGoodbye)}. Without one, the connection is cut when the server stops.
     *
     * @param request a request counted by a {@link LifecycleFilter}
     * @param onDrain told to end the stream when the drain begins, or {@code null} for a stream that ends on its own
     *     within the long-lived bound
     * @return whether the request was marked: {@code false} if no {@link LifecycleFilter} counts it (an excluded
     *     path, or no filter in front of it)
     * @throws NullPointerException if {@code request} is {@code null}
     */
    public static boolean markLongLived(ServletRequest request, Runnable onDrain) {
        requireNonNull(request, "request cannot be null");
        CountedRequest counted = CountedRequest.find(request);
        if (counted == null) {
            return false;
        }
        if (counted.upgradeCounted()) {
            counted.onUpgradeDrain(onDrain);
        } else {
            counted.inflight().markLongLived(onDrain);
        }
        return true;
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

    private void refuse(HttpServletRequest request, HttpServletResponse response) throws IOException {
        LocalResponses.write(lifecycle.refusal(), request, response, false);
    }
}
