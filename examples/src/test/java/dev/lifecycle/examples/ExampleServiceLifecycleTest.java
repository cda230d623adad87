package dev.lifecycle.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.lifecycle.examples.ExampleProcess.HttpResponse;
import dev.lifecycle.testing.RawHttpConnection;

/**
 * Startup, migrations and shutdown of the example service on the embedded H2 database, each test in its own JVM:
 * probes while migrations run, the ready-file, SIGTERM, a failing migration, {@code --migrate-only}, bad
 * configuration.
 */
class ExampleServiceLifecycleTest {

    private static final ObjectMapper mapper = new ObjectMapper();
    /**
     * Long enough that the few loopback requests the test makes during the delay never outlast it; the test does not
     * wait it out idle: it waits for the log line that ends it.
     */
    static final String PRESTOP_DELAY = "10s";

    @TempDir
    Path temp;

    private Map<String, String> environment(String... extra) {
        Map<String, String> env = new HashMap<>();
        env.put("DATA_DIR", temp.resolve("data").toString());
        for (int i = 0; i < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        return env;
    }

    /** What the example names itself without INSTANCE_ID: HOSTNAME (inherited), else the local host's name. */
    private static String expectedHostName() throws UnknownHostException {
        String hostname = System.getenv("HOSTNAME");
        return hostname != null && !hostname.isBlank() ? hostname : InetAddress.getLocalHost().getHostName();
    }

    static String testMigrations(String name) throws URISyntaxException {
        return "filesystem:" + Path.of(ExampleServiceLifecycleTest.class.getResource("/migrations/" + name).toURI());
    }

    @Test
    void probesAnswerWhileMigrationsRunReadinessFollowsThemAndSigtermDrains() throws Exception {
        Path readyFile = temp.resolve("ready");
        MigrationGate gate = MigrationGate.create(temp.resolve("data"));
        try (ExampleProcess service = ExampleProcess.start(
                "gated-migration", environment("LIFECYCLE_READY_FILE", readyFile.toString(),
                                               "LIFECYCLE_PRESTOP_DELAY", PRESTOP_DELAY,
                                               "LIFECYCLE_DRAIN_TIMEOUT", "30s",
                                               "FLYWAY_EXTRA_LOCATIONS", MigrationGate.location()))) {
            service.awaitPort();
            // The gated migration runs until the gate opens: the port is open, the service is not ready.
            HttpResponse ready = service.get(ServiceConfig.READY_PATH);
            assertThat(ready.status()).isEqualTo(503);
            assertThat(mapper.readTree(ready.body()).get("state").asText()).isEqualTo("STARTING");
            assertThat(service.get(ServiceConfig.STARTED_PATH).status()).isEqualTo(503);
            assertThat(service.get(ServiceConfig.LIVE_PATH).status()).isEqualTo(200);
            HttpResponse refused = service.get("/users");
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isEqualTo("1");
            // INSTANCE_ID is not set (ExampleProcess removes it): the instance is named after the host.
            assertThat(refused.header(ServiceConfig.INSTANCE_HEADER)).isEqualTo(expectedHostName());
            assertThat(readyFile).doesNotExist();

            gate.open(ExampleProcess.STARTUP_TIMEOUT);
            service.awaitReady();
            assertThat(readyFile).exists();
            assertThat(service.get(ServiceConfig.STARTED_PATH).status()).isEqualTo(200);
            assertThat(service.get("/users").status()).isEqualTo(200);

            try (HeldRequest inFlight = HeldRequest.postUser(service.awaitPort(), "held")) {
                await().atMost(Duration.ofSeconds(10))
                       .until(() -> service.get("/metrics").body().contains("lifecycle_requests_inflight 1.0"));

                service.process().signal("TERM");

                // The pre-stop delay: readiness down at once, requests still served, with Connection: close.
                await().atMost(Duration.ofSeconds(10)).until(() -> !readyFile.toFile().exists());
                assertThat(service.get(ServiceConfig.READY_PATH).status()).isEqualTo(503);
                assertThat(service.get(ServiceConfig.LIVE_PATH).status()).isEqualTo(200);
                HttpResponse during = service.get("/users");
                assertThat(during.status()).isEqualTo(200);
                assertThat(during.header("Connection")).isEqualToIgnoringCase("close");

                // The drain begins after the delay with the request admitted before SIGTERM, held by the test,
                // still in flight; under the default drain policy a request that still arrives is served, with
                // Connection: close; the held one completes once its body is sent.
                service.process().awaitLine(Pattern.compile("Drain began \\(serve-and-close\\): 1 request"),
                                            ExampleProcess.EXIT_TIMEOUT);
                HttpResponse late = service.get("/users");
                assertThat(late.status()).isEqualTo(200);
                assertThat(late.header("Connection")).isEqualToIgnoringCase("close");
                RawHttpConnection.Response completed = inFlight.finish();
                assertThat(completed.status()).isEqualTo(201);
                assertThat(completed.closesConnection()).isTrue();
            }
            assertThat(service.process().awaitExit(ExampleProcess.EXIT_TIMEOUT)).isEqualTo(143);
            assertThat(readyFile).doesNotExist();
            assertThat(service.process().output()).contains("Drained in", "Stop action 'http server' done",
                                                            "Stop action 'database pool' done");
        }
    }

    // Proves (issue 11, defect 8): an event stream open at SIGTERM ends with a last event telling the client to
    // reconnect, when the drain begins, instead of holding the drain and being cut at its timeout.
    @Test
    void eventStreamOpenAtSigtermEndsWithAReconnectEventInsteadOfBeingCut() throws Exception {
        try (ExampleProcess service = ExampleProcess.start(
                "events", environment("LIFECYCLE_DRAIN_TIMEOUT", "60s",
                                      "LIFECYCLE_LONG_LIVED_DRAIN_TIMEOUT", "20s"));
             Socket socket = new Socket(InetAddress.getLoopbackAddress(), service.awaitPort())) {
            service.awaitReady();
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write("GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n"
                                                   .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            StringBuilder received = new StringBuilder();
            byte[] buffer = new byte[4096];
            while (!received.toString().contains("event: hello")) {
                int n = in.read(buffer);
                assertThat(n).as("stream open").isPositive();
                received.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
            assertThat(received.toString()).startsWith("HTTP/1.1 200").contains("text/event-stream");
            await().atMost(Duration.ofSeconds(10)).until(
                    () -> service.get("/metrics").body().contains("lifecycle_requests_long_lived 1.0"));

            service.process().signal("TERM");
            // Read to the end of the stream: the server closes the connection when it stops.
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                received.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
            assertThat(received.toString()).contains(EventsServlet.RECONNECT_EVENT)
                                           .as("the chunked stream ended properly").endsWith("\r\n0\r\n\r\n");
            assertThat(service.process().awaitExit(ExampleProcess.EXIT_TIMEOUT)).isEqualTo(143);
            assertThat(service.process().output()).doesNotContain("timed out");
        }
    }

    @Test
    void sigtermDuringMigrationsStopsWithoutEverBecomingReady() throws Exception {
        Path readyFile = temp.resolve("ready");
        MigrationGate gate = MigrationGate.create(temp.resolve("data"));
        try (ExampleProcess service = ExampleProcess.start(
                "sigterm-during-migrations", environment("LIFECYCLE_READY_FILE", readyFile.toString(),
                                                         "FLYWAY_EXTRA_LOCATIONS", MigrationGate.location()))) {
            service.awaitPort();
            service.process().awaitLine(Pattern.compile("Migrating schema .* to version \"3 - gated test migration\""),
                                        ExampleProcess.STARTUP_TIMEOUT);

            service.process().signal("TERM");
            // The migration is still held: the signal lands during startup on any machine. Then let it end.
            service.process().awaitLine(Pattern.compile("Shutdown during startup"), ExampleProcess.EXIT_TIMEOUT);
            gate.open(ExampleProcess.EXIT_TIMEOUT);

            assertThat(service.process().awaitExit(ExampleProcess.EXIT_TIMEOUT)).isEqualTo(143);
            assertThat(readyFile).doesNotExist();
            assertThat(service.process().output()).contains("Shutdown during startup")
                                                  .doesNotContain("Ready in", "Startup failed in task");
        }
    }

    @Test
    void failingMigrationExitsNonZeroWithoutReadyFileNamingTheMigration() throws Exception {
        Path readyFile = temp.resolve("ready");
        Map<String, String> env = environment("LIFECYCLE_READY_FILE", readyFile.toString(),
                                              "FLYWAY_EXTRA_LOCATIONS", testMigrations("broken"));
        try (ExampleProcess service = ExampleProcess.start("broken-migration", env)) {
            assertThat(service.process().awaitExit(ExampleProcess.STARTUP_TIMEOUT))
                    .isEqualTo(Service.EXIT_STARTUP_FAILED);
            assertThat(readyFile).doesNotExist();
            assertThat(service.process().output())
                    .contains("Startup failed in task 'flyway-migrations'", "V3__broken_test_migration.sql")
                    .doesNotContain("Ready in");
        }
        env.put("DATA_DIR", temp.resolve("data-migrate-only").toString());
        try (ExampleProcess migrateOnly = ExampleProcess.start("broken-migration-migrate-only", env,
                                                               Service.MIGRATE_ONLY)) {
            assertThat(migrateOnly.process().awaitExit(ExampleProcess.STARTUP_TIMEOUT))
                    .isEqualTo(Service.EXIT_STARTUP_FAILED);
            assertThat(migrateOnly.process().output()).contains("V3__broken_test_migration.sql");
        }
    }

    @Test
    void migrateOnlyMigratesTheSchemaAndExitsWithoutOpeningThePort() throws Exception {
        Path readyFile = temp.resolve("ready");
        try (ExampleProcess migrate = ExampleProcess.start(
                "migrate-only", environment("LIFECYCLE_READY_FILE", readyFile.toString()),
                Service.MIGRATE_ONLY)) {
            assertThat(migrate.process().awaitExit(ExampleProcess.STARTUP_TIMEOUT)).isZero();
            assertThat(migrate.process().output()).contains("Migrations done").doesNotContain("Listening on");
        }
        assertThat(readyFile).doesNotExist();

        try (Connection connection = DriverManager.getConnection(
                "jdbc:h2:file:" + temp.resolve("data/users"), "sa", "");
             Statement statement = connection.createStatement()) {
            List<String> versions = new ArrayList<>();
            try (ResultSet rs = statement.executeQuery("SELECT \"version\" FROM \"flyway_schema_history\""
                                                       + " WHERE \"success\" AND \"version\" IS NOT NULL"
                                                       + " ORDER BY \"installed_rank\"")) {
                while (rs.next()) {
                    versions.add(rs.getString(1));
                }
            }
            assertThat(versions).containsExactly("1", "2");
            try (ResultSet rs = statement.executeQuery("SELECT id, name, email, created_at FROM users")) {
                assertThat(rs.next()).isFalse();
            }
        }
    }

    @Test
    void badConfigurationExitsNamingTheVariable() {
        try (ExampleProcess service = ExampleProcess.start("bad-config", environment("PORT", "eighty"))) {
            assertThat(service.process().awaitExit(ExampleProcess.STARTUP_TIMEOUT))
                    .isEqualTo(Service.EXIT_BAD_CONFIGURATION);
            assertThat(service.process().output())
                    .contains("Bad configuration: PORT: 'eighty' (expected: 0 to 65535; 0 = any free port)");
        }
    }

    @Test
    void badLifecycleSettingExitsNamingTheVariable() {
        try (ExampleProcess service = ExampleProcess.start("bad-lifecycle-config",
                                                           environment("LIFECYCLE_DRAIN_TIMEOUT", "soon"))) {
            assertThat(service.process().awaitExit(ExampleProcess.STARTUP_TIMEOUT))
                    .isEqualTo(Service.EXIT_BAD_CONFIGURATION);
            assertThat(service.process().output()).contains("Bad configuration: LIFECYCLE_DRAIN_TIMEOUT: 'soon'")
                                                  .doesNotContain("Listening on");
        }
    }
}
