package dev.lifecycle.examples;

import java.sql.Connection;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.micrometer.core.instrument.MeterRegistry;

/** The connection pool: the embedded H2 in file mode, or the database of {@code DATABASE_URL}. */
final class Database {

    private static final int POOL_SIZE = 10;
    private static final long CONNECTION_TIMEOUT_MS = 5_000;

    private Database() {
    }

    /**
     * Creates the pool without connecting: the HTTP port opens first, and the first connection is made by the
     * migrations, which report a database that cannot be reached as a failed startup task.
     */
    static HikariDataSource open(ServiceConfig config, MeterRegistry registry) {
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName("users-db");
        if (config.embeddedDatabase()) {
            // DB_CLOSE_ON_EXIT=FALSE: H2's own shutdown hook would close the database under requests still draining;
            // the lifecycle closes the pool after the drain instead.
            hikari.setJdbcUrl("jdbc:h2:file:" + config.dataDirectory().resolve("users") + ";DB_CLOSE_ON_EXIT=FALSE");
            hikari.setUsername("sa");
            hikari.setPassword("");
        } else {
            hikari.setJdbcUrl(config.databaseUrl());
            hikari.setUsername(config.databaseUser());
            hikari.setPassword(config.databasePassword());
        }
        hikari.setMaximumPoolSize(POOL_SIZE);
        hikari.setConnectionTimeout(CONNECTION_TIMEOUT_MS);
        hikari.setInitializationFailTimeout(-1);
        hikari.setMetricRegistry(registry);
        return new HikariDataSource(hikari);
    }

    /**
     * The readiness check: a connection from the pool answers within a second. The connection goes back to the pool;
     * the lifecycle bounds the whole check (its health-check timeout) and interrupts a wait for a connection.
     */
    static boolean isReachable(HikariDataSource dataSource) throws Exception {
        try (Connection connection = dataSource.getConnection()) {
            return connection.isValid(1);
        }
    }
}
