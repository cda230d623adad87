package dev.lifecycle.servlet;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

import dev.lifecycle.core.Lifecycle;

/**
 * Builds a {@link LifecycleFilter}. Every setter checks its argument; {@link #build()} copies the state, so reusing a
 * builder never changes a built filter.
 */
public final class LifecycleFilterBuilder {

    static final List<PathPattern> DEFAULT_EXCLUDED_PATHS = List.of(
            PathPattern.parse("excludePaths", HealthServletBuilder.DEFAULT_LIVENESS_PATH, true),
            PathPattern.parse("excludePaths", HealthServletBuilder.DEFAULT_READINESS_PATH, true),
            PathPattern.parse("excludePaths", HealthServletBuilder.DEFAULT_STARTUP_PATH, true));

    private final Lifecycle lifecycle;
    private List<PathPattern> excludedPaths = DEFAULT_EXCLUDED_PATHS;

    LifecycleFilterBuilder(Lifecycle lifecycle) {
        this.lifecycle = requireNonNull(lifecycle, "lifecycle cannot be null");
    }

    /**
     * The paths that are neither counted nor refused, such as the probes, which must keep answering while the
     * service starts and drains. Replaces the previous value. Each is a path within the web application (without the
     * context path): exact, like {@code /health/live}, or a prefix ending in {@code /*}, like {@code /health/*}, which
     * also matches {@code /health}. None at all is allowed. The default is {@code /health/live},
     * {@code /health/ready} and {@code /health/started}, the paths of a default {@link HealthServlet}. Whatever is
     * set here, the filter also excludes the mappings of every {@link HealthServlet} of its servlet context (learnt
     * when the container initialises it), so probe paths set on the servlet need not be repeated here.
     *
     * @throws NullPointerException if {@code paths} or one of them is {@code null}
     * @throws IllegalArgumentException if a path does not start with {@code '/'}, holds a space, a query or a
     *     fragment, or has a {@code '*'} anywhere but in a trailing {@code /*}
     */
    public LifecycleFilterBuilder excludePaths(String... paths) {
        requireNonNull(paths, "paths cannot be null");
        List<PathPattern> patterns = new ArrayList<>(paths.length);
        for (String path : paths) {
            patterns.add(PathPattern.parse("excludePaths", path, true));
        }
        excludedPaths = List.copyOf(patterns);
        return this;
    }

    /** Builds the filter. */
    public LifecycleFilter build() {
        return new LifecycleFilter(lifecycle, excludedPaths);
    }
}
