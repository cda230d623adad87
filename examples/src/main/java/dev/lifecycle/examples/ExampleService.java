package dev.lifecycle.examples;

import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.servlet.HealthServlet;
import dev.lifecycle.servlet.LifecycleFilter;
import dev.lifecycle.servlet.undertow.UndertowLifecycle;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.undertow.Undertow;
import io.undertow.servlet.Servlets;
import io.undertow.servlet.api.DeploymentInfo;
import io.undertow.servlet.api.DeploymentManager;
import io.undertow.servlet.util.ImmediateInstanceFactory;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletException;

/**
 * The example service: a users API on embedded Undertow, through lifecycle-servlet's {@link LifecycleFilter} and
 * {@link HealthServlet}, with its Flyway migrations as a startup task. The startup sequence, {@code --migrate-only}
 * and the exit statuses are described in {@link Service}; the configuration in {@link ServiceConfig}.
 */
public final class ExampleService {

    /** Undertow worker threads: each request in flight holds one, and {@code /work} holds it for a while. */
    static final int WORKER_THREADS = 64;

    private ExampleService() {
    }

    /**
     * Runs the service, or with {@code --migrate-only} the migrations alone.
     *
     * @param args nothing, or {@code --migrate-only}
     */
    public static void main(String[] args) {
        System.setProperty("org.jboss.logging.provider", "slf4j");
        Service.run(args, ExampleService.class, ExampleService::open);
    }

    private static InetSocketAddress open(ServiceConfig config, Lifecycle lifecycle, UsersApi users,
                                          PrometheusMeterRegistry registry) throws ServletException {
        DeploymentManager deployment = deploy(config, lifecycle, users, registry);
        Undertow server = Undertow.builder()
                                  .addHttpListener(config.port(), config.bindAddress())
                                  .setWorkerThreads(WORKER_THREADS)
                                  // closes idle keep-alive connections when the drain begins
                                  .setHandler(UndertowLifecycle.handler(lifecycle, deployment.start()))
                                  .build();
        server.start();
        lifecycle.addStopAction("http server", () -> {
            server.stop();
            deployment.stop();
            deployment.undeploy();
        });
        return (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
    }

    /** The thread that writes event streams' last event, stopped with the server. */
    private static ExecutorService eventWriter(Lifecycle lifecycle) {
        ExecutorService writer = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "events-writer");
            thread.setDaemon(true);
            return thread;
        });
        lifecycle.addStopAction("events writer", writer::shutdownNow);
        return writer;
    }

    private static DeploymentManager deploy(ServiceConfig config, Lifecycle lifecycle, UsersApi users,
                                            PrometheusMeterRegistry registry) throws ServletException {
        LifecycleFilter lifecycleFilter = LifecycleFilter.builder(lifecycle)
                                                         .excludePaths(ServiceConfig.LIVE_PATH,
                                                                       ServiceConfig.READY_PATH,
                                                                       ServiceConfig.STARTED_PATH,
                                                                       ServiceConfig.METRICS_PATH)
                                                         .build();
        DeploymentInfo info = Servlets.deployment()
                .setClassLoader(ExampleService.class.getClassLoader())
                .setContextPath("/")
                .setDeploymentName("example")
                .addFilter(Servlets.filter("instance", InstanceHeaderFilter.class,
                                           new ImmediateInstanceFactory<>(
                                                   new InstanceHeaderFilter(config.instanceId())))
                                   .setAsyncSupported(true))
                .addFilterUrlMapping("instance", "/*", DispatcherType.REQUEST)
                .addFilter(Servlets.filter("lifecycle", LifecycleFilter.class,
                                           new ImmediateInstanceFactory<>(lifecycleFilter))
                                   .setAsyncSupported(true))
                .addFilterUrlMapping("lifecycle", "/*", DispatcherType.REQUEST)
                .addServlet(Servlets.servlet("health", HealthServlet.class,
                                             new ImmediateInstanceFactory<>(new HealthServlet(lifecycle)))
                                    .addMapping("/health/*")
                                    .setAsyncSupported(true))
                .addServlet(Servlets.servlet("users", UsersServlet.class,
                                             new ImmediateInstanceFactory<>(new UsersServlet(users)))
                                    .addMappings("/users", "/users/*")
                                    .setAsyncSupported(true))
                .addServlet(Servlets.servlet("work", WorkServlet.class,
                                             new ImmediateInstanceFactory<>(new WorkServlet()))
                                    .addMapping("/work")
                                    .setAsyncSupported(true))
                .addServlet(Servlets.servlet("events", EventsServlet.class,
                                             new ImmediateInstanceFactory<>(
                                                     new EventsServlet(config.instanceId(), eventWriter(lifecycle))))
                                    .addMapping("/events")
                                    .setAsyncSupported(true))
                .addServlet(Servlets.servlet("metrics", MetricsServlet.class,
                                             new ImmediateInstanceFactory<>(new MetricsServlet(registry)))
                                    .addMapping(ServiceConfig.METRICS_PATH)
                                    .setAsyncSupported(true));
        DeploymentManager manager = Servlets.newContainer().addDeployment(info);
        manager.deploy();
        return manager;
    }
}
