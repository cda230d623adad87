package dev.lifecycle.servlet;

import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.StartupException;

/**
 * Wires the lifecycle into a WAR deployed to a standalone container (Tomcat, Jetty, ...) without code: declared by
 * the {@code web-fragment.xml} of the lifecycle-servlet jar, so dropping the jar into {@code WEB-INF/lib} is enough.
 *
 * <ul>
 * <li>At deployment it takes the application's {@link Lifecycle} from the servlet context attribute
 *     {@value LifecycleServlets#LIFECYCLE_ATTRIBUTE}, which a listener of the application sets (one declared in
 *     {@code web.xml} or annotated {@code @WebListener} in {@code WEB-INF/classes}: those run before a fragment's).
 *     Without one it builds a lifecycle from the {@code LIFECYCLE_*} environment variables, with no startup task,
 *     and starts it.</li>
 * <li>It registers the {@link LifecycleFilter} and the {@link HealthServlet} as {@link LifecycleServlets#register}
 *     does, unless the application registered a filter named {@value LifecycleServlets#FILTER_NAME} itself.</li>
 * <li>At undeployment it runs {@link Lifecycle#shutdown()} (the drain, then the stop actions) before the
 *     application's own listeners are destroyed; the shutdown removes the lifecycle's JVM shutdown hook, so nothing
 *     holds the application's class loader afterwards.</li>
 * </ul>
 * Set the context parameter {@value #ENABLED_PARAMETER} to {@code false} to turn it off.
 */
public final class LifecycleWarListener implements ServletContextListener {

    /** The context parameter that turns this listener off when {@code false}. */
    public static final String ENABLED_PARAMETER = "dev.lifecycle.servlet.war.enabled";

    private static final Logger logger = LoggerFactory.getLogger(LifecycleWarListener.class);

    private Lifecycle lifecycle;

    /** Created by the container, from {@code web-fragment.xml}. */
    public LifecycleWarListener() {
    }

    @Override
    public void contextInitialized(ServletContextEvent event) {
        ServletContext context = event.getServletContext();
        if ("false".equalsIgnoreCase(context.getInitParameter(ENABLED_PARAMETER))) {
            return;
        }
        Object provided = context.getAttribute(LifecycleServlets.LIFECYCLE_ATTRIBUTE);
        if (provided instanceof Lifecycle) {
            lifecycle = (Lifecycle) provided;
        } else if (provided != null) {
            throw new IllegalStateException("servlet context attribute '" + LifecycleServlets.LIFECYCLE_ATTRIBUTE
                                            + "': a " + provided.getClass().getName()
                                            + " (expected: the application's Lifecycle)");
        } else {
            lifecycle = Lifecycle.builder().build();
            context.setAttribute(LifecycleServlets.LIFECYCLE_ATTRIBUTE, lifecycle);
            logger.info("No Lifecycle in the servlet context attribute '{}': built one from the environment",
                        LifecycleServlets.LIFECYCLE_ATTRIBUTE);
            try {
                lifecycle.start();
            } catch (StartupException e) {
                throw new IllegalStateException("Lifecycle start failed: " + e.getMessage(), e);
            }
        }
        if (context.getFilterRegistration(LifecycleServlets.FILTER_NAME) == null) {
            LifecycleServlets.register(context, lifecycle);
        }
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        Lifecycle current = lifecycle;
        if (current != null) {
            lifecycle = null;
            current.shutdown();
        }
    }
}
