package dev.lifecycle.spring.boot;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.util.ClassUtils;

import liquibase.integration.spring.SpringLiquibase;

/**
 * The migrations Spring Boot would run while it creates its beans, before the web server opens its port, held back
 * here and run by the startup tasks {@code flyway-migrations} and {@code liquibase-migrations} once the port is open.
 * Flyway's arrive through the {@code FlywayMigrationStrategy} of the starter, handed to Boot's
 * {@code FlywayMigrationInitializer}; Liquibase's are the {@code SpringLiquibase} beans, whose own run is switched
 * off before their initialization.
 */
final class DeferredMigrations implements BeanPostProcessor {

    static final String FLYWAY_TASK = "flyway-migrations";
    static final String LIQUIBASE_TASK = "liquibase-migrations";

    private static final Logger logger = LoggerFactory.getLogger(DeferredMigrations.class);
    private static final boolean LIQUIBASE_PRESENT = ClassUtils.isPresent(
            "liquibase.integration.spring.SpringLiquibase", DeferredMigrations.class.getClassLoader());

    /** A migration run later; {@link Exception} since Liquibase's run declares one. */
    @FunctionalInterface
    interface Migration {
        void run() throws Exception;
    }

    private final List<Migration> flyway = new ArrayList<>();
    private final List<Migration> liquibase = new ArrayList<>();

    synchronized void deferFlyway(Migration migration) {
        flyway.add(migration);
    }

    @Override
    public Object postProcessBeforeInitialization(Object bean, String beanName) {
        if (LIQUIBASE_PRESENT) {
            Liquibase.defer(bean, this);
        }
        return bean;
    }

    synchronized void deferLiquibase(Migration migration) {
        liquibase.add(migration);
    }

    void runFlyway() throws Exception {
        run(FLYWAY_TASK, takeAll(flyway));
    }

    void runLiquibase() throws Exception {
        run(LIQUIBASE_TASK, takeAll(liquibase));
    }

    private synchronized List<Migration> takeAll(List<Migration> migrations) {
        List<Migration> taken = List.copyOf(migrations);
        migrations.clear();
        return taken;
    }

    private static void run(String task, List<Migration> migrations) throws Exception {
        if (migrations.isEmpty()) {
            // The application's own initializer ran them already, or none was configured after all.
            logger.info("Startup task '{}': nothing was deferred to it", task);
        }
        for (Migration migration : migrations) {
            migration.run();
        }
    }

    /** Only loaded when Liquibase is on the class path. */
    private static final class Liquibase {

        static void defer(Object bean, DeferredMigrations migrations) {
            if (bean instanceof SpringLiquibase) {
                SpringLiquibase liquibase = (SpringLiquibase) bean;
                liquibase.setShouldRun(false);
                migrations.deferLiquibase(() -> {
                    liquibase.setShouldRun(true);
                    liquibase.afterPropertiesSet();
                });
            }
        }
    }
}
