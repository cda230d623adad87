package dev.lifecycle.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.lifecycle.examples.ExampleProcess.HttpResponse;
import dev.lifecycle.testing.RawHttpConnection;

/**
 * Startup and shutdown of the Netty variant, each test in its own JVM: probes while migrations run, the ready-file,
 * SIGTERM with a request in flight, bad configuration. The sequence is {@link Service}'s, shared with the Undertow
 * service, whose {@link ExampleServiceLifecycleTest} covers the failing migration and {@code --migrate-only}.
 */
class NettyExampleServiceLifecycleTest {

    private static final ObjectMapper mapper = new ObjectMapper();

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

    private static ExampleProcess start(String name, Map<String, String> environment, String... args) {
        return ExampleProcess.start(NettyExampleService.class, "netty-" + name, environment, args);
    }

    @Test
    void probesAnswerWhileMigrationsRunReadinessFollowsThemAndSigtermDrainsARequestInFlight() throws Exception {
        Path readyFile = temp.resolve("ready");
        MigrationGate gate = MigrationGate.create(temp.resolve("data"));
        try (ExampleProcess service = start(
                "gated-migration", environment("INSTANCE_ID", "replica-n",
                                               "LIFECYCLE_READY_FILE", readyFile.toString(),
                                               "LIFECYCLE_PRESTOP_DELAY", ExampleServiceLifecycleTest.PRESTOP_DELAY,
                                               "LIFECYCLE_DRAIN_TIMEOUT", "30s",
                                               "FLYWAY_EXTRA_LOCATIONS", MigrationGate.location()))) {
            service.awaitPort();
            // The gated migration runs until the gate opens: the port is open, the service is not ready.
            HttpResponse ready = service.get(ServiceConfig.READY_PATH);
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.header(ServiceConfig.INSTANCE_HEADER)).isEqualTo("replica-n");
            assertThat(mapper.readTree(ready.body()).get("state").asText()).isEqualTo("STARTING");
            assertThat(service.get(ServiceConfig.STARTED_PATH).status()).isEqualTo(503);
            assertThat(service.get(ServiceConfig.LIVE_PATH).status()).isEqualTo(200);
            HttpResponse refused = service.get("/users");
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isEqualTo("1");
            assertThat(refused.header(ServiceConfig.INSTANCE_HEADER)).isEqualTo("replica-n");
            assertThat(service.get(ServiceConfig.METRICS_PATH).status()).as("excluded").isEqualTo(200);
            assertThat(readyFile).doesNotExist();

            gate.open(ExampleProcess.STARTUP_TIMEOUT);
            service.awaitReady();
            assertThat(readyFile).exists();
            assertThat(service.get(ServiceConfig.STARTED_PATH).status()).isEqualTo(200);
            assertThat(service.get("/users").status()).isEqualTo(200);

            try (HeldRequest inFlight = HeldRequest.postUser(service.awaitPort(), "held")) {
                // Probes are never counted: the readiness body shows the held request alone.
                await().atMost(Duration.ofSeconds(10))
                       .until(() -> inflight(service.get(ServiceConfig.READY_PATH)) == 1);

                service.process().signal("TERM");

                // The pre-stop delay: readiness down at once, requests still served, with Connection: close.
                await().atMost(Duration.ofSeconds(10)).until(() -> !readyFile.toFile().exists());
                assertThat(service.get(ServiceConfig.READY_PATH).status()).isEqualTo(503);
                assertThat(service.get(ServiceConfig.LIVE_PATH).status()).isEqualTo(200);
                HttpResponse during = service.get("/users");
                assertThat(during.status()).isEqualTo(200);
                assertThat(during.header("Connection")).isEqualToIgnoringCase("close");

                // The drain begins after the delay; with the default drain policy a request that still arrives (a
                // pooled client's connection) is served, with Connection: close, while the held one is in flight.
                service.process().awaitLine(Pattern.compile("Drain began"), ExampleProcess.EXIT_TIMEOUT);
                HttpResponse late = service.get("/users");
                assertThat(late.status()).isEqualTo(200);
                assertThat(late.header("Connection")).isEqualToIgnoringCase("close");
                HttpResponse metrics = service.get(ServiceConfig.METRICS_PATH);
                assertThat(metrics.status()).isEqualTo(200);
                assertThat(metrics.body()).contains("lifecycle_requests_inflight 1.0",
                                                    "lifecycle_requests_served_draining_total 1.0");

                RawHttpConnection.Response completed = inFlight.finish();
                assertThat(completed.status()).isEqualTo(201);
                assertThat(mapper.readTree(completed.body()).get("name").asText()).isEqualTo("held");
                assertThat(completed.header(ServiceConfig.INSTANCE_HEADER)).isEqualTo("replica-n");
                assertThat(completed.closesConnection()).isTrue();
            }
            assertThat(service.process().awaitExit(ExampleProcess.EXIT_TIMEOUT)).isEqualTo(143);
            assertThat(readyFile).doesNotExist();
            assertThat(service.process().output()).contains("Drained", "Stop action 'netty server' done",
                                                            "Stop action 'database pool' done");
        }
    }

    @Test
    void badConfigurationExitsWithStatus2NamingTheVariable() {
        try (ExampleProcess service = start("bad-config", environment("DB_SCHEMA_TARGET", "newest"))) {
            assertThat(service.process().awaitExit(ExampleProcess.STARTUP_TIMEOUT))
                    .isEqualTo(Service.EXIT_BAD_CONFIGURATION);
            assertThat(service.process().output())
                    .contains("Bad configuration: DB_SCHEMA_TARGET: 'newest' (expected: a schema version >= 1, or latest)")
                    .doesNotContain("Listening on");
        }
    }

    @Test
    void migrateOnlyExitsWithoutOpeningThePort() {
        try (ExampleProcess migrate = start("migrate-only", environment(), Service.MIGRATE_ONLY)) {
            assertThat(migrate.process().awaitExit(ExampleProcess.STARTUP_TIMEOUT)).isZero();
            assertThat(migrate.process().output()).contains("NettyExampleService - Migrations done")
                                                  .doesNotContain("Listening on");
        }
    }

    private static int inflight(HttpResponse probe) throws IOException {
        JsonNode body = mapper.readTree(probe.body());
        return body.get("inflight").asInt();
    }
}
