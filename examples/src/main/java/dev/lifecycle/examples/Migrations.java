package dev.lifecycle.examples;

import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.lifecycle.core.StartupTask;

/**
 * The Flyway migrations, as a startup task: readiness goes up only once they succeeded. Flyway takes a database lock,
 * so replicas that start together apply each migration once.
 */
final class Migrations {

    private static final Logger logger = LoggerFactory.getLogger(Migrations.class);

    /** The scripts in the jar. */
    static final String LOCATION = "classpath:db/migration";
    /** The newest version among them: what the code of this build reads and writes. */
    static final int LATEST_VERSION = 2;

    private Migrations() {
    }

    static StartupTask task(ServiceConfig config, DataSource dataSource) {
        return StartupTask.of(ServiceConfig.MIGRATIONS_TASK, () -> migrate(config, dataSource))
                          .timeout(ServiceConfig.MIGRATION_TIMEOUT);
    }

    private static void migrate(ServiceConfig config, DataSource dataSource) {
        List<String> locations = new ArrayList<>();
        locations.add(LOCATION);
        locations.addAll(config.extraMigrationLocations());
        String target = config.schemaTarget().isPresent()
                        ? Integer.toString(config.schemaTarget().getAsInt()) : "latest";
        Flyway flyway = Flyway.configure(Migrations.class.getClassLoader())
                              .dataSource(dataSource)
                              .locations(locations.toArray(String[]::new))
                              .failOnMissingLocations(true)
                              .target(target)
                              .load();
        MigrateResult result = flyway.migrate();
        logger.info("Schema at version {} ({} migration(s) applied now, target {})",
                    flyway.info().current() == null ? "none" : flyway.info().current().getVersion(),
                    result.migrationsExecuted, target);
    }
}
