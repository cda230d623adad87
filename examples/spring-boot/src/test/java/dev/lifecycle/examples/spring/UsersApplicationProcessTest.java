package dev.lifecycle.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.lifecycle.testing.PostgresServer;
import dev.lifecycle.testing.ServiceProcess;

/**
 * The service in a child JVM (this test's class path, so the same Spring Boot version as the build), on an
 * ephemeral loopback port: a slow migration keeps liveness up and readiness down until it ends; SIGTERM drains the
 * request in flight, which completes, and the JVM exits with 143. Then the same on PostgreSQL.
 */
class UsersApplicationProcessTest {

    static final Duration TIMEOUT = Duration.ofSeconds(90);
    static final Pattern PORT = Pattern.compile("(?:Tomcat|Jetty) started on port[s]?[ (]*(\\d+)");
    static final Pattern READY = Pattern.compile("Lifecycle +: Ready in|Lifecycle - Ready in|Ready in \\d");
    static final Pattern DRAINING = Pattern.compile("Draining: readiness down");

    private static PostgresServer postgres;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    Path temp;

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

    static ServiceProcess start(String name, Map<String, String> environment) throws IOException {
        Path logs = Files.createDirectories(Path.of("target", "service-logs"));
        return ServiceProcess.builder(List.of(ServiceProcess.javaExecutable(), "-XX:TieredStopAtLevel=1",
                                              "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                                              UsersApplication.class.getName()))
                             .removeEnvironment("DATABASE_URL", "DATABASE_USER", "DATABASE_PASSWORD", "PORT",
                                                "SPRING_FLYWAY_LOCATIONS")
                             .environment(Map.of("PORT", "0", "BIND_ADDRESS", "127.0.0.1", "INSTANCE_ID", "test"))
                             .environment(environment)
                             .logFile(logs.resolve(name + ".log"))
                             .start();
    }

    @Test
    void slowMigrationKeepsLivenessUpAndReadinessDownThenSigtermDrainsTheRequestInFlightAndExits143()
            throws Exception {
        Path readyFile = temp.resolve("ready");
        try (ServerSocket gate = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServiceProcess service = start("slow-migration", Map.of(
                     "DATA_DIR", temp.resolve("data").toString(),
                     "SPRING_FLYWAY_LOCATIONS", "classpath:db/migration,classpath:db/slowmigration",
                     "SLOW_MIGRATION_GATE", "127.0.0.1:" + gate.getLocalPort(),
                     "LIFECYCLE_READY_FILE", readyFile.toString(),
                     "LIFECYCLE_PRESTOP_DELAY", "1s",
                     "LIFECYCLE_DRAIN_TIMEOUT", "20s"))) {
            gate.setSoTimeout((int) TIMEOUT.toMillis());
            try (Socket migration = gate.accept()) {
                // V3 is running and waits for us: the port opened before the migrations.
                int port = Integer.parseInt(service.awaitLine(PORT, TIMEOUT).group(1));
                assertThat(get(port, "/health/live").statusCode()).isEqualTo(200);
                assertThat(get(port, "/actuator/health/liveness").statusCode()).isEqualTo(200);
                HttpResponse<String> ready = get(port, "/health/ready");
                assertThat(ready.statusCode()).isEqualTo(503);
                assertThat(ready.body()).contains("\"state\":\"STARTING\"")
                                        .contains("{\"name\":\"flyway-migrations\",\"status\":\"RUNNING\"");
                assertThat(get(port, "/actuator/health/readiness").statusCode()).isEqualTo(503);
                HttpResponse<String> refused = get(port, "/users");
                assertThat(refused.statusCode()).isEqualTo(503);
                assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
                assertThat(readyFile).doesNotExist();

                migration.getOutputStream().write(1);
                service.awaitLine(READY, TIMEOUT);
                assertThat(get(port, "/health/ready").statusCode()).isEqualTo(200);
                assertThat(get(port, "/actuator/health/readiness").statusCode()).isEqualTo(200);
                // The lifecycle writes the ready-file once the readiness checks passed, in the background.
                await().atMost(TIMEOUT).until(() -> Files.exists(readyFile));

                HttpResponse<String> created = post(port, "/users", "{\"name\":\"Ada\",\"email\":\"ada@example.org\"}");
                assertThat(created.statusCode()).isEqualTo(201);
                assertThat(created.headers().firstValue("X-Instance")).hasValue("test");
                assertThat(get(port, "/actuator/prometheus").body()).contains("lifecycle_requests_inflight");

                CompletableFuture<HttpResponse<String>> work = client.sendAsync(
                        HttpRequest.newBuilder(uri(port, "/work?ms=4000")).timeout(TIMEOUT).build(),
                        HttpResponse.BodyHandlers.ofString());
                await().atMost(TIMEOUT).until(() -> get(port, "/health/ready").body().contains("\"inflight\":1"));
                service.signal("TERM");
                // Proves: the database still serves the requests of the pre-stop delay and the drain. H2's own
                // shutdown hook (DB_CLOSE_ON_EXIT, on by default) closed it at SIGTERM, and the first request on
                // each pooled connection got a 500 (found by SpringBootRolloutTest, as 500s right after each SIGTERM).
                service.awaitLine(DRAINING, TIMEOUT);
                assertThat(get(port, "/users?limit=1").statusCode()).isEqualTo(200);
                assertThat(post(port, "/users", "{\"name\":\"Grace\"}").statusCode()).isEqualTo(201);

                HttpResponse<String> completed = work.get(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
                assertThat(completed.statusCode()).isEqualTo(200);
                assertThat(completed.body()).isEqualTo("{\"workedMs\":4000}");
                assertThat(service.awaitExit(TIMEOUT)).isEqualTo(143);
                assertThat(readyFile).doesNotExist();
                String output = service.output();
                assertThat(output).contains("Drain began (serve-and-close): 1 request(s) in flight");
                // The drain ended before Spring's graceful shutdown of the web server began.
                assertThat(output.indexOf("Drained in")).isPositive()
                                                        .isLessThan(output.indexOf("Commencing graceful shutdown"));
            }
        }
    }

    @Test
    void servesUsersFromPostgresql() throws Exception {
        postgres.createDatabase("users_spring");
        try (ServiceProcess service = start("postgresql", Map.of("DATABASE_URL", postgres.jdbcUrl("users_spring"),
                                                   "DATABASE_USER", postgres.user(),
                                                   "DATABASE_PASSWORD", postgres.password()))) {
            int port = Integer.parseInt(service.awaitLine(PORT, TIMEOUT).group(1));
            service.awaitLine(READY, TIMEOUT);
            HttpResponse<String> created = post(port, "/users", "{\"name\":\"Grace\"}");
            assertThat(created.statusCode()).isEqualTo(201);
            String location = created.headers().firstValue("Location").orElseThrow();
            HttpResponse<String> found = get(port, location);
            assertThat(found.statusCode()).isEqualTo(200);
            assertThat(found.body()).contains("\"name\":\"Grace\"");
            assertThat(get(port, "/users/999").statusCode()).isEqualTo(404);
            assertThat(get(port, "/users?limit=0").body()).isEqualTo("{\"error\":\"limit: '0' (expected: 1 to 500)\"}");
            service.signal("TERM");
            assertThat(service.awaitExit(TIMEOUT)).isEqualTo(143);
        }
    }

    private static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(port, path)).timeout(TIMEOUT).build(),
                           HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(int port, String path, String json) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(port, path)).timeout(TIMEOUT)
                                      .header("Content-Type", "application/json")
                                      .POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                           HttpResponse.BodyHandlers.ofString());
    }
}
