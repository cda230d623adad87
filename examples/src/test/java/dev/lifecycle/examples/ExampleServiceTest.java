package dev.lifecycle.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.lifecycle.examples.ExampleProcess.HttpResponse;

/**
 * The users API and the service's other endpoints, over HTTP, on the embedded H2 database. One JVM for the class.
 * {@link NettyExampleServiceTest} runs the same tests against the Netty variant.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExampleServiceTest {

    static final ObjectMapper mapper = new ObjectMapper();

    ExampleProcess service;

    /** The class to run from the jar; {@code null} runs the jar's own main class, {@link ExampleService}. */
    Class<?> mainClass() {
        return null;
    }

    @BeforeAll
    void startService(@TempDir Path dataDirectory) {
        String name = mainClass() == null ? "api-h2" : "api-h2-" + mainClass().getSimpleName();
        service = ExampleProcess.start(mainClass(), name, Map.of("DATA_DIR", dataDirectory.toString(),
                                                                 "INSTANCE_ID", "replica-a"));
        service.awaitReady();
    }

    @AfterAll
    void stopService() {
        if (service != null) {
            service.close();
        }
    }

    @Test
    void createsAUserAndReadsItBack() throws Exception {
        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        HttpResponse created = service.post("/users", "{\"name\": \"Ada\", \"email\": \"ada@example.org\"}");

        assertThat(created.status()).isEqualTo(201);
        assertThat(created.header("Content-Type")).startsWith("application/json");
        JsonNode user = mapper.readTree(created.body());
        long id = user.get("id").asLong();
        assertThat(id).isPositive();
        assertThat(user.get("name").asText()).isEqualTo("Ada");
        assertThat(user.get("email").asText()).isEqualTo("ada@example.org");
        Instant createdAt = Instant.parse(user.get("createdAt").asText()); // ISO-8601, UTC
        assertThat(createdAt).isBetween(before, Instant.now());
        assertThat(created.header("Location")).isEqualTo("/users/" + id);

        HttpResponse read = service.get("/users/" + id);
        assertThat(read.status()).isEqualTo(200);
        assertThat(mapper.readTree(read.body())).isEqualTo(user);
    }

    @Test
    void emailIsOptional() throws Exception {
        HttpResponse created = service.post("/users", "{\"name\": \"Grace\"}");

        assertThat(created.status()).isEqualTo(201);
        assertThat(mapper.readTree(created.body()).get("email").isNull()).isTrue();
    }

    @Test
    void listsUsersInBoundedPagesById() throws Exception {
        for (String name : new String[] {"p1", "p2", "p3"}) {
            assertThat(service.post("/users", "{\"name\": \"" + name + "\"}").status()).isEqualTo(201);
        }

        JsonNode first = mapper.readTree(service.get("/users?limit=2").body());
        assertThat(first.get("users")).hasSize(2);
        long firstId = first.get("users").get(0).get("id").asLong();
        long secondId = first.get("users").get(1).get("id").asLong();
        assertThat(secondId).isGreaterThan(firstId);
        assertThat(first.get("next").asText()).isEqualTo("/users?limit=2&after=" + secondId);

        JsonNode next = mapper.readTree(service.get(first.get("next").asText()).body());
        assertThat(next.get("users").get(0).get("id").asLong()).isGreaterThan(secondId);

        JsonNode defaultPage = mapper.readTree(service.get("/users").body());
        assertThat(defaultPage.get("users").size()).isBetween(3, UsersApi.DEFAULT_LIMIT);
    }

    @Test
    void badRequestsGet400WithAJsonError() throws Exception {
        assertError(service.post("/users", "{\"name\": "), 400, "malformed JSON");
        assertError(service.post("/users", "[1, 2]"), 400, "expected a JSON object such as {\"name\": \"Ada\"}");
        assertError(service.post("/users", "{}"), 400, "name: missing (expected: a non-blank string)");
        assertError(service.post("/users", "{\"name\": \"  \"}"), 400, "name: missing (expected: a non-blank string)");
        assertError(service.post("/users", "{\"name\": 42}"), 400, "name: missing (expected: a non-blank string)");
        assertError(service.post("/users", "{\"name\": \"x\", \"email\": \"nope\"}"), 400,
                    "email: invalid (expected: an address of at most 320 characters)");
        assertError(service.get("/users?limit=0"), 400, "limit: '0' (expected: 1 to 500)");
        assertError(service.get("/users?limit=501"), 400, "limit: '501' (expected: 1 to 500)");
        assertError(service.get("/users?limit=ten"), 400, "limit: 'ten' (expected: 1 to 500)");
        assertError(service.get("/users?after=-1"), 400, "after: '-1' (expected: a user id >= 0)");
    }

    @Test
    void bodyLargerThanTheLimitGets400() throws Exception {
        String name = "x".repeat(UsersApi.MAX_BODY_BYTES);

        assertError(service.post("/users", "{\"name\": \"" + name + "\"}"), 400, "body larger than 16384 bytes");
    }

    @Test
    void unknownUserGets404() throws Exception {
        assertError(service.get("/users/987654321"), 404, "no user with id '987654321'");
        assertError(service.get("/users/abc"), 404, "no user with id 'abc'");
    }

    @Test
    void workTakesTheRequestedTimeAndRejectsBadValues() throws Exception {
        long start = System.nanoTime();
        HttpResponse work = service.get("/work?ms=200");
        assertThat(work.status()).isEqualTo(200);
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(200_000_000L);
        assertThat(mapper.readTree(work.body()).get("workedMs").asLong()).isEqualTo(200);

        assertError(service.get("/work?ms=60001"), 400, "ms: '60001' (expected: 0 to 60000)");
        assertError(service.get("/work?ms=-5"), 400, "ms: '-5' (expected: 0 to 60000)");
        assertError(service.get("/work?ms=soon"), 400, "ms: 'soon' (expected: 0 to 60000)");
        assertError(service.get("/work"), 400, "ms: 'null' (expected: 0 to 60000)");
    }

    @Test
    void probesAreUpOnceReadyAndOnlyReadinessChecksTheDatabase() throws Exception {
        HttpResponse live = service.get(ServiceConfig.LIVE_PATH);
        assertThat(live.status()).isEqualTo(200);
        JsonNode liveBody = mapper.readTree(live.body());
        assertThat(liveBody.get("status").asText()).isEqualTo("UP");
        assertThat(liveBody.get("checks")).as("liveness is the process itself").isEmpty();

        assertThat(service.get(ServiceConfig.STARTED_PATH).status()).isEqualTo(200);
        JsonNode ready = mapper.readTree(service.get(ServiceConfig.READY_PATH).body());
        assertThat(ready.get("checks").get(0).get("name").asText()).isEqualTo("database");
        assertThat(ready.get("checks").get(0).get("kind").asText()).isEqualTo("READINESS");
        assertThat(ready.get("state").asText()).isEqualTo("READY");
        assertThat(ready.get("tasks").get(0).get("name").asText()).isEqualTo(ServiceConfig.MIGRATIONS_TASK);
        assertThat(ready.get("tasks").get(0).get("status").asText()).isEqualTo("SUCCEEDED");
    }

    @Test
    void metricsArePrometheusTextWithLifecycleJvmAndPoolMeters() throws Exception {
        HttpResponse metrics = service.get("/metrics");

        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.header("Content-Type")).startsWith("text/plain");
        assertThat(metrics.body()).contains(
                "lifecycle_requests_inflight", "lifecycle_state{state=\"READY\"} 1",
                "lifecycle_startup_task_duration_seconds_count{task=\"flyway-migrations\"} 1",
                "jvm_memory_used_bytes", "hikaricp_connections");
    }

    @Test
    void everyResponseNamesTheInstance() throws Exception {
        for (HttpResponse response : new HttpResponse[] {service.get("/users"), service.get("/users/0"),
                                                         service.get(ServiceConfig.READY_PATH),
                                                         service.get("/metrics"), service.get("/nowhere")}) {
            assertThat(response.header(ServiceConfig.INSTANCE_HEADER)).isEqualTo("replica-a");
        }
    }

    static void assertError(HttpResponse response, int status, String message) throws Exception {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.header("Content-Type")).startsWith("application/json");
        assertThat(mapper.readTree(response.body()).get("error").asText()).isEqualTo(message);
    }
}
