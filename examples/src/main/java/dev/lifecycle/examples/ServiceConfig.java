package dev.lifecycle.examples;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The example service's configuration, read from environment variables. The lifecycle's own variables
 * ({@code LIFECYCLE_PRESTOP_DELAY}, {@code LIFECYCLE_DRAIN_TIMEOUT}, {@code LIFECYCLE_READY_FILE}, ...) are read by
 * lifecycle-core. A bad value fails fast with an {@link IllegalArgumentException} naming the variable.
 */
record ServiceConfig(int port,
                     String bindAddress,
                     String instanceId,
                     Path dataDirectory,
                     String databaseUrl,
                     String databaseUser,
                     String databasePassword,
                     OptionalInt schemaTarget,
                     List<String> extraMigrationLocations) {

    /** The port when {@code PORT} is not set; also the containerPort of the Kubernetes manifests. */
    static final int DEFAULT_PORT = 8080;
    static final String DEFAULT_BIND_ADDRESS = "0.0.0.0";
    static final String DEFAULT_DATA_DIRECTORY = "data";

    /** The name of the migrations' startup task, as shown in the probes' JSON and the logs. */
    static final String MIGRATIONS_TASK = "flyway-migrations";
    /** The migrations' timeout; the Kubernetes startup probe must wait at least this long. */
    static final Duration MIGRATION_TIMEOUT = Duration.ofMinutes(5);
    /** The bound on each stop action (HTTP server, database pool). */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
    /** How many stop actions each example service registers; the grace period must cover them all. */
    static final int STOP_ACTIONS = 2;

    static final String LIVE_PATH = "/health/live";
    static final String READY_PATH = "/health/ready";
    static final String STARTED_PATH = "/health/started";
    static final String METRICS_PATH = "/metrics";
    /** The Prometheus text format. */
    static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    /** Names the replica that answered, on every response. */
    static final String INSTANCE_HEADER = "X-Instance";

    static final String ENV_PORT = "PORT";
    static final String ENV_BIND_ADDRESS = "BIND_ADDRESS";
    static final String ENV_INSTANCE_ID = "INSTANCE_ID";
    static final String ENV_DATA_DIR = "DATA_DIR";
    static final String ENV_DATABASE_URL = "DATABASE_URL";
    static final String ENV_DATABASE_USER = "DATABASE_USER";
    static final String ENV_DATABASE_PASSWORD = "DATABASE_PASSWORD";
    static final String ENV_SCHEMA_TARGET = "DB_SCHEMA_TARGET";
    /**
     * Test hook: more Flyway locations (comma-separated {@code filesystem:} or {@code classpath:} locations), so
     * that tests can add a slow or failing migration without a special build.
     */
    static final String ENV_EXTRA_LOCATIONS = "FLYWAY_EXTRA_LOCATIONS";

    ServiceConfig {
        extraMigrationLocations = List.copyOf(extraMigrationLocations);
    }

    /**
     * Reads the configuration.
     *
     * @throws IllegalArgumentException naming the variable, its value and what was expected
     */
    static ServiceConfig fromEnvironment(Map<String, String> env) {
        int port = port(env.get(ENV_PORT));
        String bindAddress = notBlank(env, ENV_BIND_ADDRESS, DEFAULT_BIND_ADDRESS, "an IP address or host name");
        String instanceId = env.get(ENV_INSTANCE_ID);
        if (instanceId == null) {
            instanceId = hostName(env);
        } else if (instanceId.isBlank()) {
            throw new IllegalArgumentException(ENV_INSTANCE_ID + ": '" + instanceId + "' (expected: not blank)");
        }
        Path dataDirectory = path(env, ENV_DATA_DIR, DEFAULT_DATA_DIRECTORY);
        String databaseUrl = env.get(ENV_DATABASE_URL);
        if (databaseUrl != null && !databaseUrl.startsWith("jdbc:")) {
            throw new IllegalArgumentException(ENV_DATABASE_URL + ": '" + redact(databaseUrl)
                                               + "' (expected: a JDBC URL such as jdbc:postgresql://host:5432/db)");
        }
        String user = env.get(ENV_DATABASE_USER);
        String password = env.get(ENV_DATABASE_PASSWORD);
        if (databaseUrl == null && (user != null || password != null)) {
            throw new IllegalArgumentException((user != null ? ENV_DATABASE_USER : ENV_DATABASE_PASSWORD)
                                               + " is set but " + ENV_DATABASE_URL
                                               + " is not (expected: both, or neither for the embedded H2)");
        }
        return new ServiceConfig(port, bindAddress, instanceId, dataDirectory, databaseUrl, user, password,
                                 schemaTarget(env.get(ENV_SCHEMA_TARGET)),
                                 extraLocations(env.get(ENV_EXTRA_LOCATIONS)));
    }

    private static int port(String text) {
        if (text == null) {
            return DEFAULT_PORT;
        }
        try {
            int port = Integer.parseInt(text.trim());
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(ENV_PORT + ": '" + text + "' (expected: 0 to 65535; 0 = any free port)");
    }

    private static String notBlank(Map<String, String> env, String variable, String defaultValue, String expected) {
        String value = env.get(variable);
        if (value == null) {
            return defaultValue;
        }
        if (value.isBlank()) {
            throw new IllegalArgumentException(variable + ": '" + value + "' (expected: " + expected + ")");
        }
        return value.trim();
    }

    private static Path path(Map<String, String> env, String variable, String defaultValue) {
        String value = notBlank(env, variable, defaultValue, "a directory path");
        try {
            return Path.of(value).toAbsolutePath();
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(variable + ": '" + value + "' (expected: a directory path)", e);
        }
    }

    private static String hostName(Map<String, String> env) {
        String hostName = env.get("HOSTNAME"); // set by Kubernetes to the pod's name
        if (hostName != null && !hostName.isBlank()) {
            return hostName;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }

    private static OptionalInt schemaTarget(String text) {
        if (text == null || text.trim().equals("latest")) {
            return OptionalInt.empty();
        }
        try {
            int version = Integer.parseInt(text.trim());
            if (version >= 1) {
                return OptionalInt.of(version);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(ENV_SCHEMA_TARGET + ": '" + text
                                           + "' (expected: a schema version >= 1, or latest)");
    }

    private static List<String> extraLocations(String text) {
        List<String> locations = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return locations;
        }
        for (String location : text.split(",")) {
            String trimmed = location.trim();
            if (!trimmed.startsWith("filesystem:") && !trimmed.startsWith("classpath:")) {
                throw new IllegalArgumentException(ENV_EXTRA_LOCATIONS + ": '" + text
                        + "' (expected: comma-separated filesystem:<dir> or classpath:<package> locations)");
            }
            locations.add(trimmed);
        }
        return locations;
    }

    /** Drops the query string of a JDBC URL, where drivers accept passwords. */
    private static String redact(String url) {
        int query = url.indexOf('?');
        return query < 0 ? url : url.substring(0, query) + "?...";
    }

    /** Whether the database is the embedded H2 (no {@code DATABASE_URL}). */
    boolean embeddedDatabase() {
        return databaseUrl == null;
    }

    /** Never prints the password. */
    @Override
    public String toString() {
        return "ServiceConfig[port=" + port + ", bindAddress=" + bindAddress + ", instanceId=" + instanceId
               + ", database=" + (databaseUrl == null ? "H2 in " + dataDirectory : redact(databaseUrl))
               + ", schemaTarget=" + (schemaTarget.isPresent() ? schemaTarget.getAsInt() : "latest") + ']';
    }
}
