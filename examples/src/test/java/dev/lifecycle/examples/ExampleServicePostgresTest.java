package dev.lifecycle.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.lifecycle.examples.ExampleProcess.HttpResponse;
import dev.lifecycle.testing.PostgresServer;

/**
 * The example service against a real PostgreSQL (Debian's package, started in a temporary directory on a loopback
 * port): the API, three replicas migrating one empty database at once, and the previous version's code on the newest
 * schema. Each test has its own database.
 */
class ExampleServicePostgresTest {

    private static final ObjectMapper mapper = new ObjectMapper();
    private static final AtomicInteger databases = new AtomicInteger();
    /** Connections fail at once once the server is gone; the bound only covers a slow machine. */
    private static final Duration OUTAGE_NOTICED = Duration.ofSeconds(30);

    private static PostgresServer postgres;

    @BeforeAll
    static void startPostgres() {
        postgres = PostgresServer.start();
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    private static String newDatabase() {
        String name = "users_" + databases.incrementAndGet();
        postgres.createDatabase(name);
        return name;
    }

    private static Map<String, String> environment(String database, String... extra) {
        Map<String, String> env = new java.util.HashMap<>(Map.of(
                "DATABASE_URL", postgres.jdbcUrl(database),
                "DATABASE_USER", postgres.user(),
                "DATABASE_PASSWORD", postgres.password()));
        for (int i = 0; i < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        return env;
    }

    @Test
    void usersApiWorksOnPostgres() throws Exception {
        try (ExampleProcess service = ExampleProcess.start("api-postgres", environment(newDatabase()))) {
            service.awaitReady();

            HttpResponse created = service.post("/users", "{\"name\": \"Edsger\", \"email\": \"ewd@example.org\"}");
            assertThat(created.status()).isEqualTo(201);
            JsonNode user = mapper.readTree(created.body());
            assertThat(user.get("email").asText()).isEqualTo("ewd@example.org");

            HttpResponse read = service.get("/users/" + user.get("id").asLong());
            assertThat(read.status()).isEqualTo(200);
            assertThat(mapper.readTree(read.body())).isEqualTo(user);
            assertThat(mapper.readTree(service.get("/users?limit=10").body()).get("users")).containsExactly(user);
            assertThat(service.get("/users/424242").status()).isEqualTo(404);
            assertThat(service.post("/users", "{\"nom\": \"x\"}").status()).isEqualTo(400);
            assertThat(service.get("/users?limit=-1").status()).isEqualTo(400);
            assertThat(service.get(ServiceConfig.READY_PATH).body()).contains("\"name\":\"database\"");

            assertThat(service.terminate()).isEqualTo(143);
        }
    }

    @Test
    void threeReplicasStartedTogetherOnAnEmptyDatabaseApplyEachMigrationOnce() throws Exception {
        String database = newDatabase();
        List<ExampleProcess> replicas = new ArrayList<>();
        try {
            for (String instance : List.of("a", "b", "c")) {
                replicas.add(ExampleProcess.start("replica-" + instance,
                                                  environment(database, "INSTANCE_ID", "replica-" + instance)));
            }
            for (ExampleProcess replica : replicas) {
                replica.awaitReady();
            }

            assertThat(appliedMigrations(database)).containsExactly("1", "2");
            HttpResponse created = replicas.get(0).post("/users", "{\"name\": \"Barbara\"}");
            long id = mapper.readTree(created.body()).get("id").asLong();
            HttpResponse read = replicas.get(2).get("/users/" + id);
            assertThat(read.status()).isEqualTo(200);
            assertThat(read.header(ServiceConfig.INSTANCE_HEADER)).isEqualTo("replica-c");

            for (ExampleProcess replica : replicas) {
                replica.process().signal("TERM");
            }
            for (ExampleProcess replica : replicas) {
                assertThat(replica.process().awaitExit(ExampleProcess.EXIT_TIMEOUT)).isEqualTo(143);
                assertThat(replica.process().output()).doesNotContain("Startup failed");
            }
        } finally {
            replicas.forEach(ExampleProcess::close);
        }
    }

    @Test
    void previousVersionServesTheNewestSchema() throws Exception {
        String database = newDatabase();
        try (ExampleProcess migrate = ExampleProcess.start("migrate-latest", environment(database),
                                                           Service.MIGRATE_ONLY)) {
            assertThat(migrate.process().awaitExit(ExampleProcess.STARTUP_TIMEOUT)).isZero();
        }
        assertThat(appliedMigrations(database)).containsExactly("1", "2");

        try (ExampleProcess previous = ExampleProcess.start("previous-version",
                                                            environment(database, "DB_SCHEMA_TARGET", "1"))) {
            previous.awaitReady();

            HttpResponse created = previous.post("/users", "{\"name\": \"Niklaus\"}");
            assertThat(created.status()).isEqualTo(201);
            JsonNode user = mapper.readTree(created.body());
            assertThat(user.has("email")).as("version 1 knows no email").isFalse();
            assertThat(mapper.readTree(previous.get("/users/" + user.get("id").asLong()).body())).isEqualTo(user);
            assertThat(mapper.readTree(previous.get("/users").body()).get("users")).containsExactly(user);
            assertThat(previous.terminate()).isEqualTo(143);
        }
        assertThat(appliedMigrations(database)).as("the schema stays at the newest version").containsExactly("1", "2");
    }

    /**
     * Issue 11, defect 5: a database outage must not restart the replicas. Liveness answers 200 all along; readiness
     * goes down, the ready-file with it, and both come back with the database.
     */
    @Test
    void livenessStaysUpForAMinuteWithPostgresStoppedWhileReadinessGoesDown(@TempDir Path directory)
            throws Exception {
        Path readyFile = directory.resolve("ready");
        PostgresServer own = PostgresServer.start(); // stopped by this test: not the one the other tests share
        try {
            Map<String, String> env = new java.util.HashMap<>(Map.of(
                    "DATABASE_URL", own.jdbcUrl(), "DATABASE_USER", own.user(), "DATABASE_PASSWORD", own.password(),
                    "LIFECYCLE_READY_FILE", readyFile.toString()));
            try (ExampleProcess service = ExampleProcess.start("postgres-outage", env)) {
                service.awaitReady();
                assertThat(readyFile).exists();

                own.close();

                await("readiness down once PostgreSQL is gone").atMost(OUTAGE_NOTICED)
                        .until(() -> service.get(ServiceConfig.READY_PATH).status() == 503);
                await("the ready-file follows readiness").atMost(OUTAGE_NOTICED)
                        .until(() -> !Files.exists(readyFile));
                assertThat(service.get(ServiceConfig.READY_PATH).body()).contains("\"name\":\"database\"",
                                                                                   "\"status\":\"DOWN\"");
                await("liveness stays up").during(Duration.ofMinutes(1)).atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofSeconds(1))
                        .until(() -> service.get(ServiceConfig.LIVE_PATH).status() == 200);
                assertThat(service.get(ServiceConfig.READY_PATH).status()).isEqualTo(503);
                assertThat(service.process().output())
                        .contains("Health check 'database' (readiness) is down: ")
                        .doesNotContain("(liveness) is down");
                assertThat(service.terminate()).isEqualTo(143);
            }
        } finally {
            own.close();
        }
    }

    private static List<String> appliedMigrations(String database) throws SQLException {
        List<String> versions = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl(database), postgres.user(),
                                                                 postgres.password());
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT version FROM flyway_schema_history"
                                                   + " WHERE version IS NOT NULL ORDER BY installed_rank")) {
            while (rs.next()) {
                versions.add(rs.getString(1));
            }
        }
        return versions;
    }
}
