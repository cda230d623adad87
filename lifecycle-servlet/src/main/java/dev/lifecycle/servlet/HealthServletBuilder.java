package dev.lifecycle.servlet;

import static java.util.Objects.requireNonNull;

import dev.lifecycle.core.Lifecycle;

/**
 * Builds a {@link HealthServlet}. Every setter checks its argument; {@link #build()} checks that the three paths
 * differ and copies the state, so reusing a builder never changes a built servlet.
 */
public final class HealthServletBuilder {

    static final String DEFAULT_LIVENESS_PATH = "/health/live";
    static final String DEFAULT_READINESS_PATH = "/health/ready";
    static final String DEFAULT_STARTUP_PATH = "/health/started";

    private final Lifecycle lifecycle;
    private String livenessPath = DEFAULT_LIVENESS_PATH;
    private String readinessPath = DEFAULT_READINESS_PATH;
    private String startupPath = DEFAULT_STARTUP_PATH;
    private boolean showDetails;

    HealthServletBuilder(Lifecycle lifecycle) {
        this.lifecycle = requireNonNull(lifecycle, "lifecycle cannot be null");
    }

    /**
     * The path of the liveness probe within the web application (servlet path plus path info, without the context
     * path). The servlet must be mapped so that it receives it. The default is {@code /health/live}.
     *
     * @throws IllegalArgumentException if the path does not start with {@code '/'}, or holds a space, a query, a
     *     fragment or a {@code '*'}
     */
    public HealthServletBuilder livenessPath(String livenessPath) {
        this.livenessPath = parse("livenessPath", livenessPath);
        return this;
    }

    /**
     * The path of the readiness probe, like {@link #livenessPath(String)}. The default is {@code /health/ready}.
     *
     * @throws IllegalArgumentException as {@link #livenessPath(String)} does
     */
    public HealthServletBuilder readinessPath(String readinessPath) {
        this.readinessPath = parse("readinessPath", readinessPath);
        return this;
    }

    /**
     * The path of the startup probe, like {@link #livenessPath(String)}. The default is {@code /health/started}.
     *
     * @throws IllegalArgumentException as {@link #livenessPath(String)} does
     */
    public HealthServletBuilder startupPath(String startupPath) {
        this.startupPath = parse("startupPath", startupPath);
        return this;
    }

    /**
     * Whether response bodies include the error messages of failed checks and startup tasks. They may reveal
     * internals (host names, SQL), so enable it only where the probe port is private. Names, statuses and durations
     * are always shown. The default is {@code false}.
     */
    public HealthServletBuilder showDetails(boolean showDetails) {
        this.showDetails = showDetails;
        return this;
    }

    /**
     * Builds the servlet.
     *
     * @throws IllegalArgumentException if two probes have the same path
     */
    public HealthServlet build() {
        if (readinessPath.equals(livenessPath)) {
            throw new IllegalArgumentException("readinessPath: '" + readinessPath
                                               + "' (expected: different from livenessPath)");
        }
        if (startupPath.equals(livenessPath) || startupPath.equals(readinessPath)) {
            throw new IllegalArgumentException("startupPath: '" + startupPath
                                               + "' (expected: different from livenessPath and readinessPath)");
        }
        return new HealthServlet(lifecycle, livenessPath, readinessPath, startupPath, showDetails);
    }

    private static String parse(String setting, String path) {
        return PathPattern.parse(setting, path, false).path();
    }
}
