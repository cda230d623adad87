package dev.lifecycle.netty;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.internal.Durations;

/**
 * Builds a {@link NettyLifecycle}. Every setter checks its argument; {@link #build()} checks the rules between
 * settings and copies the state, so reusing a builder never changes a built instance.
 */
public final class NettyLifecycleBuilder {

    final Lifecycle lifecycle;
    String livenessPath = "/health/live";
    String readinessPath = "/health/ready";
    String startupPath = "/health/started";
    boolean showDetails;
    List<String> excludePaths = List.of();
    /** {@code null}: the instance's own. */
    Executor probeExecutor;
    Duration eventLoopShutdownTimeout = Duration.ofSeconds(3);

    NettyLifecycleBuilder(Lifecycle lifecycle) {
        this.lifecycle = requireNonNull(lifecycle, "lifecycle cannot be null");
    }

    /**
     * The path of the liveness probe. The default is {@code /health/live}.
     *
     * @throws IllegalArgumentException if it does not start with {@code /} or has a query
     */
    public NettyLifecycleBuilder livenessPath(String livenessPath) {
        this.livenessPath = requirePath("livenessPath", livenessPath);
        return this;
    }

    /**
     * The path of the readiness probe. The default is {@code /health/ready}.
     *
     * @throws IllegalArgumentException if it does not start with {@code /} or has a query
     */
    public NettyLifecycleBuilder readinessPath(String readinessPath) {
        this.readinessPath = requirePath("readinessPath", readinessPath);
        return this;
    }

    /**
     * The path of the startup probe. The default is {@code /health/started}.
     *
     * @throws IllegalArgumentException if it does not start with {@code /} or has a query
     */
    public NettyLifecycleBuilder startupPath(String startupPath) {
        this.startupPath = requirePath("startupPath", startupPath);
        return this;
    }

    /**
     * Whether probe bodies show why a check or startup task failed (exception messages, which may reveal internals).
     * Names and statuses are always shown. The default is {@code false}.
     */
    public NettyLifecycleBuilder showDetails(boolean showDetails) {
        this.showDetails = showDetails;
        return this;
    }

    /**
     * The paths passed to the application without being counted in flight nor ever refused, such as a metrics
     * endpoint that must answer while the service starts and drains. Replaces the previous value. Each is exact, like
     * {@code /metrics}, or a prefix ending in {@code /*}, like {@code /static/*}, which also matches {@code /static}.
     * They are matched against the path of the request target as received, without its query (not decoded nor
     * normalised): exclude only what may safely bypass the lifecycle. An excluded request still keeps its place among
     * the connection's pipelined requests, and while draining its response gets {@code Connection: close} like any
     * other. The probes are never counted nor refused anyway. The default is none.
     *
     * @throws NullPointerException if {@code paths} or one of them is {@code null}
     * @throws IllegalArgumentException if a path does not start with {@code '/'}, holds a space, a query or a
     *     fragment, or has a {@code '*'} anywhere but in a trailing {@code /*}
     */
    public NettyLifecycleBuilder excludePaths(String... paths) {
        requireNonNull(paths, "paths cannot be null");
        List<String> patterns = new ArrayList<>(paths.length);
        for (String path : paths) {
            patterns.add(ExcludedPaths.requirePattern(path));
        }
        excludePaths = List.copyOf(patterns);
        return this;
    }

    /**
     * Where the probes' health checks run: off the event loops, since a check may block (a liveness check waiting for
     * a pool connection). Meanwhile the probe's connection holds the requests pipelined behind it, so that HTTP/1.1
     * answers stay in order; other connections are served as usual. A probe the executor rejects is answered on the
     * event loop. The instance never shuts this executor down. The default is the instance's own executor, created by
     * {@link #build()}: up to 4 daemon threads named {@code lifecycle-probe-N}, started on demand and ended after 60
     * seconds idle, further probes waiting in its queue; the stop action of {@link NettyLifecycle#stopOnShutdown}
     * shuts it down (if that action is never registered, its idle threads end by themselves).
     *
     * @throws NullPointerException if {@code probeExecutor} is {@code null}
     */
    public NettyLifecycleBuilder probeExecutor(Executor probeExecutor) {
        this.probeExecutor = requireNonNull(probeExecutor, "probeExecutor cannot be null");
        return this;
    }

    /**
     * How long {@link NettyLifecycle#stopOnShutdown} lets the event loop groups finish their tasks once the drain is
     * over (Netty's {@code shutdownGracefully} timeout, with no quiet period); it then waits one more second for them
     * to terminate. Keep it a second or more below the lifecycle's stop timeout, which bounds the whole stop action.
     * The default is 3 seconds (the default stop timeout is 5).
     *
     * @throws IllegalArgumentException if negative
     */
    public NettyLifecycleBuilder eventLoopShutdownTimeout(Duration eventLoopShutdownTimeout) {
        this.eventLoopShutdownTimeout =
                Durations.requireNonNegative("eventLoopShutdownTimeout", eventLoopShutdownTimeout);
        return this;
    }

    /**
     * Builds the instance.
     *
     * @throws IllegalArgumentException if two probes share a path
     */
    public NettyLifecycle build() {
        requireDistinct("readinessPath", readinessPath, "livenessPath", livenessPath);
        requireDistinct("startupPath", startupPath, "livenessPath", livenessPath);
        requireDistinct("startupPath", startupPath, "readinessPath", readinessPath);
        return new NettyLifecycle(this);
    }

    private static String requirePath(String name, String path) {
        requireNonNull(path, name + " cannot be null");
        if (!path.startsWith("/") || path.indexOf('?') >= 0) {
            throw new IllegalArgumentException(name + ": " + path + " (expected: a path starting with '/', no query)");
        }
        return path;
    }

    private static void requireDistinct(String name, String path, String otherName, String otherPath) {
        if (path.equals(otherPath)) {
            throw new IllegalArgumentException(name + ": " + path + " (expected: different from " + otherName + ")");
        }
    }
}
