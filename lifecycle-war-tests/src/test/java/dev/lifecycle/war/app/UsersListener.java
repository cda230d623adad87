package dev.lifecycle.war.app;

import java.time.Duration;

import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.StartupTask;
import dev.lifecycle.servlet.LifecycleServlets;

/**
 * The test WAR's own listener: provides its Lifecycle, with a JVM shutdown hook (the case that would leak the class
 * loader if undeploy left it registered) and a stop action that records it ran.
 */
public class UsersListener implements ServletContextListener {

    /** Set by the stop action; read by the test through the context attribute. */
    public static final String STOPPED_ATTRIBUTE = "test.stopped";

    @Override
    public void contextInitialized(ServletContextEvent event) {
        Lifecycle lifecycle = Lifecycle.builder()
                                       .startupTask(StartupTask.of("migrations", () -> { }))
                                       .drainTimeout(Duration.ofSeconds(5))
                                       .shutdownHook(true)
                                       .build();
        lifecycle.addStopAction("record", () -> System.setProperty(STOPPED_ATTRIBUTE + "."
                                                                   + event.getServletContext().getContextPath(),
                                                                   "true"));
        event.getServletContext().setAttribute(LifecycleServlets.LIFECYCLE_ATTRIBUTE, lifecycle);
        lifecycle.start();
    }
}
