package dev.lifecycle.servlet;

import static java.util.Objects.requireNonNull;

import java.util.EnumSet;

import dev.lifecycle.core.Lifecycle;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterRegistration;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRegistration;

/**
 * Registers the lifecycle's filter and probe servlet in a web application, in one line:
 *
 * <pre>{@code
 * LifecycleServlets.register(servletContext, lifecycle);
 * }</pre>
 *
 * Call it where the container lets code register filters and servlets: a {@code ServletContainerInitializer}, a
 * {@code ServletContextListener} declared in {@code web.xml} or annotated {@code @WebListener}, or the deployment
 * set-up of an embedded container. For other paths, register a {@link LifecycleFilter} and a {@link HealthServlet}
 * built with their builders, the same way.
 */
public final class LifecycleServlets {

    /**
     * The servlet context attribute from which a {@link LifecycleFilter} or {@link HealthServlet} declared in
     * {@code web.xml} (created by its no-argument constructor) takes its {@link Lifecycle}. Set it in a
     * {@code ServletContextListener}: listeners run before filters and servlets are initialised.
     */
    public static final String LIFECYCLE_ATTRIBUTE = "dev.lifecycle.core.Lifecycle";

    /** The name of the filter that {@link #register} adds. */
    public static final String FILTER_NAME = "lifecycle";
    /** The name of the servlet that {@link #register} adds. */
    public static final String HEALTH_SERVLET_NAME = "lifecycle-health";

    private LifecycleServlets() {
    }

    /**
     * Registers a default {@link LifecycleFilter} as {@value #FILTER_NAME} on {@code /*} (for the {@code REQUEST} and
     * {@code ASYNC} dispatches, before the filters declared in {@code web.xml}, with async support) and a default
     * {@link HealthServlet} as {@value #HEALTH_SERVLET_NAME} on {@code /health/*}.
     *
     * @throws NullPointerException if an argument is {@code null}
     * @throws IllegalStateException if a filter or servlet of the same name is already registered, or if the context
     *     has already been initialised (thrown by the container)
     */
    public static void register(ServletContext context, Lifecycle lifecycle) {
        requireNonNull(context, "context cannot be null");
        requireNonNull(lifecycle, "lifecycle cannot be null");
        FilterRegistration.Dynamic filter = context.addFilter(FILTER_NAME, new LifecycleFilter(lifecycle));
        if (filter == null) {
            throw new IllegalStateException("a filter named '" + FILTER_NAME + "' is already registered");
        }
        filter.setAsyncSupported(true);
        filter.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC), false, "/*");
        ServletRegistration.Dynamic servlet = context.addServlet(HEALTH_SERVLET_NAME, new HealthServlet(lifecycle));
        if (servlet == null) {
            throw new IllegalStateException("a servlet named '" + HEALTH_SERVLET_NAME + "' is already registered");
        }
        servlet.setAsyncSupported(true);
        servlet.addMapping("/health/*");
    }

    static Lifecycle lifecycle(ServletContext context) throws ServletException {
        Object value = context.getAttribute(LIFECYCLE_ATTRIBUTE);
        if (value instanceof Lifecycle) {
            return (Lifecycle) value;
        }
        throw new ServletException("servlet context attribute '" + LIFECYCLE_ATTRIBUTE + "': "
                                   + (value == null ? "not set" : "a " + value.getClass().getName())
                                   + " (expected: the application's Lifecycle, set by a ServletContextListener)");
    }

    /** Splits a comma-separated init parameter; blank means an empty list. */
    static String[] split(String list) {
        if (list.isBlank()) {
            return new String[0];
        }
        String[] items = list.split(",");
        for (int i = 0; i < items.length; i++) {
            items[i] = items[i].trim();
        }
        return items;
    }
}
