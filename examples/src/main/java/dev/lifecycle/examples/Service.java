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
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * What the example services share, whichever HTTP server they run ({@link ExampleService} on Undertow,
 * {@link NettyExampleService} on Netty): the configuration, {@code --migrate-only}, and the startup sequence.
 *
 * <ol>
 * <li>The HTTP port opens first: while the migrations run, {@code /health/live} answers 200,
 *     {@code /health/ready} and {@code /health/started} 503, and the API 503 with {@code Retry-After}.</li>
 * <li>Liveness is the process itself: it has no check. The database is a readiness check: while it cannot be
 *     reached, readiness is down (and the ready-file deleted), never liveness, so an outage does not restart every
 *     replica.</li>
 * <li>{@link Lifecycle#start()} runs the migrations; when they succeed the service is ready (and the ready-file of
 *     {@code LIFECYCLE_READY_FILE} appears). When they fail, the process exits with status 1.</li>
 * <li>On SIGTERM, the lifecycle's shutdown hook drains: readiness down, the pre-stop delay, in-flight requests
 *     finish, then the HTTP server stops and the pool closes. Exit status 143.</li>
 * </ol>
 *
 * <p>{@code --migrate-only} runs the migrations and exits (0 on success), without opening the port: for a Kubernetes
 * Job, an init container or a Helm {@code pre-upgrade} hook. Configuration: see {@link ServiceConfig}; a bad value
 * exits with status 2.
 */
final class Service {

    /** The option that runs the migrations only. */
    static final String MIGRATE_ONLY = "--migrate-only";

    static final int EXIT_STARTUP_FAILED = 1;
    static final int EXIT_BAD_CONFIGURATION = 2;

    /** The HTTP server of a service. */
    @FunctionalInterface
    interface HttpServer {

        /**
         * Opens the port and registers the server's stop action on {@code lifecycle}. The server answers the probes
         * at once and the API once the lifecycle admits requests.
         *
         * @return the address the server listens on
         * @throws Exception if the port cannot be opened; the server has released what it took
         */
        InetSocketAddress open(ServiceConfig config, Lifecycle lifecycle, UsersApi users,
                               PrometheusMeterRegistry registry) throws Exception;
    }

    private final Logger logger;

    private Service(Class<?> serviceClass) {
        this.logger = LoggerFactory.getLogger(serviceClass);
    }

    /**
     * Runs a service on {@code server}, or with {@code --migrate-only} the migrations alone; exits the JVM with a
     * non-zero status on failure. On success it returns with the server running.
     *
     * @param serviceClass the class with the {@code main} method, which names the log lines
     */
    static void run(String[] args, Class<?> serviceClass, HttpServer server) {
        Service service = new Service(serviceClass);
        int status = service.run(args, server);
        if (status != 0) {
            System.exit(status);
        }
    }

    private int run(String[] args, HttpServer server) {
        boolean migrateOnly;
        ServiceConfig config;
        try {
            migrateOnly = migrateOnly(args);
            config = ServiceConfig.fromEnvironment(System.getenv());
        } catch (IllegalArgumentException e) {
            logger.error("Bad configuration: {}", e.getMessage());
            return EXIT_BAD_CONFIGURATION;
        }
        logger.info("Starting {} {}", migrateOnly ? "migrations only (" + MIGRATE_ONLY + ")," : "service,", config);
        return migrateOnly ? migrate(config) : serve(config, server);
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
    private int migrate(ServiceConfig config) {
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

    private int serve(ServiceConfig config, HttpServer server) {
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
                                 // A dependency: readiness, never liveness. While the database is down the pods
                                 // stop getting traffic, but no restart would bring it back.
                                 .readinessCheck("database", () -> Database.isReachable(dataSource))
                                 .shutdownHook(true)
                                 .build();
        } catch (IllegalArgumentException e) {
            logger.error("Bad configuration: {}", e.getMessage());
            dataSource.close();
            return EXIT_BAD_CONFIGURATION;
        }
        new LifecycleMetrics(lifecycle).bindTo(registry);
        // Stop actions run in reverse order: the HTTP server (registered by open) stops first, then the pool closes.
        lifecycle.addStopAction("database pool", dataSource::close);

        int schemaVersion = config.schemaTarget().orElse(Migrations.LATEST_VERSION);
        UsersApi users = new UsersApi(new UserRepository(dataSource, schemaVersion));
        InetSocketAddress address;
        try {
            address = server.open(config, lifecycle, users, registry);
        } catch (Exception e) {
            logger.error("Cannot start the HTTP server on {}:{}", config.bindAddress(), config.port(), e);
            return EXIT_STARTUP_FAILED;
        }
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

    /** The lifecycle has logged the cause with its stack trace already. */
    private void logStartupFailure(StartupException e) {
        logger.error("Startup failed{}: {}; exiting with status {}",
                     e.taskName() == null ? "" : " in task '" + e.taskName() + "'", e.getMessage(),
                     EXIT_STARTUP_FAILED);
    }
}
