package dev.lifecycle.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.flywaydb.core.api.migration.JavaMigration;
import org.flywaydb.core.api.migration.Context;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.Filter;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.State;
import dev.lifecycle.core.StartupTask;

/**
 * One application on Tomcat with Actuator, Flyway on H2 and a slow migration, watched while it migrates and then
 * once ready. The tests run in order on the same context: Spring contexts are slow to start on a small machine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StarterTest {

    static final CountDownLatch migrationStarted = new CountDownLatch(1);
    static final CountDownLatch finishMigration = new CountDownLatch(1);
    static final List<String> events = new CopyOnWriteArrayList<>();

    private Path readyFile;
    private RunningApp app;

    @BeforeAll
    void start() throws IOException {
        readyFile = Files.createTempDirectory("starter").resolve("ready");
        app = RunningApp.start(App.class,
                               "spring.datasource.url=jdbc:h2:mem:starter;DB_CLOSE_DELAY=-1",
                               "spring.liquibase.enabled=false",
                               "management.endpoint.health.probes.enabled=true",
                               "management.endpoint.health.show-details=always",
                               // every probe runs the checks: an availability event shows at once
                               "lifecycle.health-check-max-age=0",
                               "lifecycle.ready-file=" + readyFile);
    }

    @AfterAll
    void stop() {
        finishMigration.countDown();
        app.close();
    }

    @Test
    @Order(1)
    void livenessAnswersAndReadinessWaitsWhileFlywayMigratesAfterThePortOpened() throws Exception {
        try {
            assertThat(migrationStarted.await(60, TimeUnit.SECONDS)).isTrue();

            assertThat(app.get("/health/live").statusCode()).isEqualTo(200);
            assertThat(app.get("/health/ready").statusCode()).isEqualTo(503);
            assertThat(app.get("/health/started").statusCode()).isEqualTo(503);
            assertThat(app.get("/actuator/health/liveness").statusCode()).isEqualTo(200);
            assertThat(app.get("/actuator/health/readiness").statusCode()).isEqualTo(503);
            // Actuator's probe groups never show details; its health endpoint does.
            // (Boot 3 writes "status" before "details", Boot 4 after.)
            assertThat(app.get("/actuator/health").body())
                    .containsPattern("\"readinessState\":\\{(\"status\":\"DOWN\",)?\"details\":\\{\"state\":\"STARTING\"")
                    .contains("\"flyway-migrations\":\"RUNNING\"");
            var refused = app.get("/hello");
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(readyFile).doesNotExist();

            ApplicationAvailability availability = app.context().getBean(ApplicationAvailability.class);
            assertThat(availability.getLivenessState()).isEqualTo(LivenessState.CORRECT);
            assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
            assertThat(app.run()).isNotDone();
            // Every singleton was created with the migration still held back: it did not run during bean creation.
            assertThat(events).containsExactly("singletons created; users table: false", "migration started");

        } finally {
            finishMigration.countDown();
        }
        app.awaitStarted();
        assertThat(app.get("/health/ready").statusCode()).isEqualTo(200);
    }

    @Test
    @Order(2)
    void readyOnceMigratedWithStartupTaskBeansAfterTheMigrationAndTheReadyFileWritten() {
        Lifecycle lifecycle = app.context().getBean(Lifecycle.class);
        assertThat(lifecycle.state()).isEqualTo(State.READY);
        assertThat(lifecycle.health().tasks()).extracting(task -> task.name() + ' ' + task.status())
                .containsExactly("flyway-migrations SUCCEEDED", "after-migrations SUCCEEDED");
        assertThat(events).contains("after-migrations; users table: true");
        // The lifecycle writes the ready-file once the readiness checks passed, in the background.
        await().atMost(RunningApp.TIMEOUT).until(() -> Files.exists(readyFile));
        assertThat(app.get("/health/started").statusCode()).isEqualTo(200);
        assertThat(app.get("/actuator/health/liveness").statusCode()).isEqualTo(200);
        assertThat(app.get("/actuator/health/readiness").statusCode()).isEqualTo(200);
        assertThat(app.get("/actuator/health").body())
                .containsPattern("\"readinessState\":\\{(\"status\":\"UP\",)?\"details\":\\{\"state\":\"READY\"");
        assertThat(app.context().getBean(ApplicationAvailability.class).getReadinessState())
                .isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
    }

    @Test
    @Order(3)
    void theLifecycleFilterCountsTheRequestBeforeAnyOtherFilterSeesIt() {
        var response = app.get("/hello");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("hello");
        // The application's filter of the next order value found the request already counted.
        assertThat(response.headers().firstValue("X-Inflight-Seen")).hasValue("1");
    }

    @Test
    @Order(4)
    void applicationAvailabilityEventsTurnTheLifecycleProbesDownAndUp() {
        var context = app.context();
        AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
        assertThat(app.get("/health/ready").statusCode()).isEqualTo(503);
        assertThat(app.get("/actuator/health/readiness").statusCode()).isEqualTo(503);
        AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
        assertThat(app.get("/health/ready").statusCode()).isEqualTo(200);

        AvailabilityChangeEvent.publish(context, LivenessState.BROKEN);
        assertThat(app.get("/health/live").statusCode()).isEqualTo(503);
        assertThat(app.get("/actuator/health/liveness").statusCode()).isEqualTo(503);
        AvailabilityChangeEvent.publish(context, LivenessState.CORRECT);
        assertThat(app.get("/health/live").statusCode()).isEqualTo(200);
    }

    @Test
    @Order(5)
    void metricsAreOnTheApplicationsMeterRegistry() {
        app.get("/hello");
        MeterRegistry registry = app.context().getBean(MeterRegistry.class);
        // The filter counts a request until its last byte was written: the client may see it a moment before.
        await().atMost(RunningApp.TIMEOUT)
               .until(() -> registry.get("lifecycle.requests.inflight").gauge().value() == 0.0);
        assertThat(registry.get("lifecycle.state").tag("state", "READY").gauge().value()).isEqualTo(1.0);
        assertThat(registry.get("lifecycle.startup.task.duration").tag("task", "flyway-migrations").functionTimer()
                           .count()).isEqualTo(1.0);
    }

    @Test
    @Order(6)
    void closingTheContextRunsTheShutdownAndDeletesTheReadyFile() {
        Lifecycle lifecycle = app.context().getBean(Lifecycle.class);
        app.close();
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
        assertThat(readyFile).doesNotExist();
        await().atMost(RunningApp.TIMEOUT).until(() -> !app.context().isActive());
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @RestController
    static class App {

        @GetMapping("/hello")
        String hello() {
            return "hello";
        }

        @Bean
        SlowMigration slowMigration() {
            return new SlowMigration();
        }

        @Bean
        StartupTask afterMigrations(JdbcTemplate jdbc) {
            return StartupTask.of("after-migrations", () -> events.add("after-migrations; users table: "
                                                                        + usersTableExists(jdbc)))
                              .dependsOn("flyway-migrations");
        }

        @Bean
        SmartInitializingSingleton singletonsCreated(JdbcTemplate jdbc) {
            return () -> events.add("singletons created; users table: " + usersTableExists(jdbc));
        }

        @Bean
        FilterRegistrationBean<Filter> inflightRecorder(Lifecycle lifecycle) {
            Filter filter = (request, response, chain) -> {
                ((jakarta.servlet.http.HttpServletResponse) response)
                        .setHeader("X-Inflight-Seen", Long.toString(lifecycle.tracker().inflight()));
                chain.doFilter(request, response);
            };
            FilterRegistrationBean<Filter> registration = new FilterRegistrationBean<>(filter);
            registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 1);
            return registration;
        }

        static boolean usersTableExists(JdbcTemplate jdbc) {
            return jdbc.queryForObject("SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'PUBLIC' AND TABLE_NAME = 'USERS'",
                                       Integer.class) == 1;
        }
    }

    /** V2: waits for the test, so that probes can be watched while Flyway runs. */
    static class SlowMigration implements JavaMigration {

        @Override
        public org.flywaydb.core.api.MigrationVersion getVersion() {
            return org.flywaydb.core.api.MigrationVersion.fromVersion("2");
        }

        @Override
        public String getDescription() {
            return "slow";
        }

        @Override
        public Integer getChecksum() {
            return null;
        }

        @Override
        public boolean canExecuteInTransaction() {
            return true;
        }

        @Override
        public void migrate(Context context) throws Exception {
            events.add("migration started");
            migrationStarted.countDown();
            if (!finishMigration.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never let the migration finish");
            }
        }
    }
}
