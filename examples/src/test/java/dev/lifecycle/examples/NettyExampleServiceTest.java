package dev.lifecycle.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.lifecycle.testing.RawHttpConnection;

/**
 * The Netty variant serves the same API as the Undertow service: every test of {@link ExampleServiceTest} runs
 * against it, plus what is particular to Netty.
 */
class NettyExampleServiceTest extends ExampleServiceTest {

    @Override
    Class<?> mainClass() {
        return NettyExampleService.class;
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderBehindSlowWork() throws Exception {
        String requests = "GET /work?ms=300 HTTP/1.1\r\nHost: localhost\r\n\r\n"
                          + "GET /users/987654321 HTTP/1.1\r\nHost: localhost\r\n\r\n"
                          + "GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        try (RawHttpConnection connection = new RawHttpConnection(service.awaitPort())) {
            connection.send(requests);

            RawHttpConnection.Response work = connection.read();
            RawHttpConnection.Response notFound = connection.read();
            RawHttpConnection.Response live = connection.read();
            assertThat(work.status()).isEqualTo(200);
            assertThat(work.body()).contains("\"workedMs\":300");
            assertThat(notFound.status()).isEqualTo(404);
            assertThat(notFound.body()).contains("no user with id '987654321'");
            assertThat(live.status()).isEqualTo(200);
            assertThat(live.body()).contains("\"status\":\"UP\"");
            // The last request asked to close: the server closes once the three responses are written.
            assertThat(connection.isClosedByServer()).isTrue();
        }
    }

    @Test
    void otherMethodsGet405WithAllow() throws Exception {
        ExampleProcess.HttpResponse put = service.send("PUT", "/users", "{}");
        assertError(put, 405, "method not allowed");
        assertThat(put.header("Allow")).isEqualTo("GET, POST");
        assertThat(service.send("DELETE", "/users/1", null).header("Allow")).isEqualTo("GET");
    }

    @Test
    void speaksHttp2OverCleartextAfterTheUpgrade() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                                      .connectTimeout(Duration.ofSeconds(5)).build();
        URI base = URI.create("http://127.0.0.1:" + service.awaitPort());

        // The first request carries Upgrade: h2c; its response and the next come over HTTP/2.
        HttpResponse<String> list = client.send(HttpRequest.newBuilder(base.resolve("/users?limit=1")).build(),
                                                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> created = client.send(
                HttpRequest.newBuilder(base.resolve("/users")).header("Content-Type", "application/json")
                           .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"h2\",\"email\":\"h2@example.test\"}"))
                           .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(list.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.headers().firstValue("X-Instance")).isPresent();
        assertThat(created.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.body()).contains("\"name\":\"h2\"");
    }
}
