package dev.lifecycle.examples;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.zaxxer.hikari.HikariDataSource;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.LifecycleMetrics;
import dev.lifecycle.core.StartupException;
import dev.lifecycle.servlet.HealthServlet;
import dev.lifecycle.servlet.LifecycleFilter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.undertow.Undertow;
import io.undertow.servlet.Servlets;
import io.undertow.servlet.api.DeploymentInfo;
import io.undertow.servlet.api.DeploymentManager;
import io.undertow.servlet.util.ImmediateInstanceFactory;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletException;

/**
 * The example service: a users API on embedded Undertow, with its Flyway migrations as a startup task.
 *
 * <ol>
 * <li>The HTTP port opens first: while the migrations run, {@code /health/live} answers 200,
 *     {@code /health/ready} and {@code /health/started} 503, and the API 503 with {@code Retry-After}.</li>
 * <li>{@link Lifecycle#start()} runs the migrations; when they succeed the service is ready (and the ready-file of
 *     {@code LIFECYCLE_READY_FILE} appears). When they fail, the process exits with status 1.</li>
 * <li>On SIGTERM, the lifecycle's shutdown hook drains: readiness down, the pre-stop delay, in-flight requests
 *     finish, then the HTTP server stops and the pool closes. Exit status 143.</li>
 * </ol>
 *
 * <p>{@code --migrate-only} runs the migrations and exits (0 on success), without opening the port: for a Kubernetes
 * Job, an init container or a Helm {@code pre-upgrade} hook. Configuration: see {@link ServiceConfig}.
 */
public final class ExampleService {

    private static final Logger logger = LoggerFactory.getLogger(ExampleService.class);

    /** The option that runs the migrations only. */
    static final String MIGRATE_ONLY = "--migrate-only";
    /** Undertow worker threads: each request in flight holds one, and {@code /work} holds it for a while. */
    static final int WORKER_THREADS = 64;

    static final int EXIT_STARTUP_FAILED = 1;
    static final int EXIT_BAD_CONFIGURATION = 2;

    private ExampleService() {
    }

    /**
     * Runs the service, or with {@code --migrate-only} the migrations alone.
     *
     * @param args nothing, or {@code --migrate-only}
     */
    public static void main(String[] args) {
        System.setProperty("org.jboss.logging.provider", "slf4j");
        boolean migrateOnly;
        ServiceConfig config;
        try {
            migrateOnly = migrateOnly(args);
            config = ServiceConfig.fromEnvironment(System.getenv());
        } catch (IllegalArgumentException e) {
            logger.error("Bad configuration: {}", e.getMessage());
            System.exit(EXIT_BAD_CONFIGURATION);
            return;
        }
        logger.info("Starting {} {}", migrateOnly ? "migrations only (" + MIGRATE_ONLY + ")," : "service,", config);
        int status = migrateOnly ? migrate(config) : serve(config);
        if (status != 0) {
            System.exit(status);
        }
    }

    private static boolean migrateOnly(String[] args) {
        if (args.length == 0) {
            return false;
        }
        if (args.length == 1 && args[0].equals(MIGRATE_ONLY)) {
            return true;
        }
        throw new IllegalArgumentException("arguments: " + List.of(args) + " (expected: none, or " + MIGRATE_ONLY
                                           + ")");
    }

    /** Runs the startup tasks without the HTTP server. */
    private static int migrate(ServiceConfig config) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (HikariDataSource dataSource = Database.open(config, registry)) {
            // No environment overrides: a Job has no ready-file, and nothing drains.
            Lifecycle lifecycle = Lifecycle.builder()
                                           .environment(Map.of())
                                           .startupTask(Migrations.task(config, dataSource))
                                           .build();
            try {
                lifecycle.start();
            } catch (StartupException e) {
                logStartupFailure(e);
                return EXIT_STARTUP_FAILED;
            }
            logger.info("Migrations done; exiting ({})", MIGRATE_ONLY);
            return 0;
        }
    }

    private static int serve(ServiceConfig config) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);

        HikariDataSource dataSource = Database.open(config, registry);
        Lifecycle lifecycle;
        try {
            lifecycle = Lifecycle.builder()
                                 .stopTimeout(ServiceConfig.STOP_TIMEOUT)
                                 .startupTask(Migrations.task(config, dataSource))
                                 .livenessCheck("database", () -> Database.isAlive(dataSource))
                                 .shutdownHook(true)
                                 .build();
        } catch (IllegalArgumentException e) {
            logger.error("Bad configuration: {}", e.getMessage());
            dataSource.close();
            return EXIT_BAD_CONFIGURATION;
        }
        new LifecycleMetrics(lifecycle).bindTo(registry);
        // Stop actions run in reverse order: the HTTP server stops first, then the pool closes.
        lifecycle.addStopAction("database pool", dataSource::close);

        int schemaVersion = config.schemaTarget().orElse(Migrations.LATEST_VERSION);
        UserRepository users = new UserRepository(dataSource, schemaVersion);
        Undertow server;
        DeploymentManager deployment;
        try {
            deployment = deploy(config, lifecycle, users, registry);
            server = Undertow.builder()
                             .addHttpListener(config.port(), config.bindAddress())
                             .setWorkerThreads(WORKER_THREADS)
                             .setHandler(deployment.start())
                             .build();
            server.start();
        } catch (ServletException | RuntimeException e) {
            logger.error("Cannot start the HTTP server on {}:{}", config.bindAddress(), config.port(), e);
            return EXIT_STARTUP_FAILED;
        }
        lifecycle.addStopAction("http server", () -> {
            server.stop();
            deployment.stop();
            deployment.undeploy();
        });
        InetSocketAddress address = (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
        logger.info("Listening on http://{}:{} (instance {}); running startup tasks",
                    address.getAddress().getHostAddress(), address.getPort(), config.instanceId());

        try {
            lifecycle.start();
        } catch (StartupException e) {
            if (lifecycle.isDraining()) {
                // SIGTERM during startup: the shutdown hook is already stopping the service.
                logger.info("Startup abandoned: shutting down");
                return 0;
            }
            logStartupFailure(e);
            return EXIT_STARTUP_FAILED;
        }
        return 0;
    }

    private static DeploymentManager deploy(ServiceConfig config, Lifecycle lifecycle, UserRepository users,
                                            PrometheusMeterRegistry registry) throws ServletException {
        LifecycleFilter lifecycleFilter = LifecycleFilter.builder(lifecycle)
                                                         .excludePaths(ServiceConfig.LIVE_PATH,
                                                                       ServiceConfig.READY_PATH,
                                                                       ServiceConfig.STARTED_PATH, "/metrics")
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
                .addServlet(Servlets.servlet("metrics", MetricsServlet.class,
                                             new ImmediateInstanceFactory<>(new MetricsServlet(registry)))
                                    .addMapping("/metrics")
                                    .setAsyncSupported(true));
        DeploymentManager manager = Servlets.newContainer().addDeployment(info);
        manager.deploy();
        return manager;
    }

    private static void logStartupFailure(StartupException e) {
        logger.error("Startup failed{}: {}", e.taskName() == null ? "" : " in task '" + e.taskName() + "'",
                     e.getMessage(), e.getCause());
    }
}
