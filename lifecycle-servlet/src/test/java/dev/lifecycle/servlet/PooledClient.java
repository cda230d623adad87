package dev.lifecycle.servlet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.apache.hc.core5.util.TimeValue;

/**
 * A real pooled HTTP/1.1 client, as services call each other: the JDK's {@link HttpClient} or Apache HttpClient 5
 * (classic, pooling connection manager), each with its default retry behaviour.
 */
interface PooledClient extends AutoCloseable {

    /** A response: status, body, and whether it carried {@code Connection: close}. */
    record Result(int status, String body, boolean closesConnection) {
    }

    Result get(String path);

    Result post(String path, String body);

    @Override
    void close();

    static PooledClient create(String name, int port) {
        switch (name) {
            case "jdk":
                return new Jdk(port);
            case "apache":
                return new Apache(port);
            default:
                throw new IllegalArgumentException("client: '" + name + "' (expected: jdk or apache)");
        }
    }

    /** The JDK's client; HTTP/1.1, its own connection pool. */
    final class Jdk implements PooledClient {
        private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                                                    .connectTimeout(Duration.ofSeconds(5)).build();
        private final String base;

        Jdk(int port) {
            base = "http://127.0.0.1:" + port;
        }

        @Override
        public Result get(String path) {
            return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
        }

        @Override
        public Result post(String path, String body) {
            return send(HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofString(body)));
        }

        private Result send(HttpRequest.Builder request) {
            try {
                HttpResponse<String> response = client.send(request.timeout(Duration.ofSeconds(10)).build(),
                                                            HttpResponse.BodyHandlers.ofString());
                return new Result(response.statusCode(), response.body(),
                                  response.headers().firstValue("Connection").orElse("").equalsIgnoreCase("close"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() {
            // HttpClient is AutoCloseable from JDK 21 on; its threads are daemons before.
            if (client instanceof AutoCloseable) {
                try {
                    ((AutoCloseable) client).close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /** Apache HttpClient 5, classic API, pooling connection manager. */
    final class Apache implements PooledClient {
        private final CloseableHttpClient client;
        private final String base;

        Apache(int port) {
            base = "http://127.0.0.1:" + port;
            // A pooled connection is checked for staleness after this much inactivity (2 s by default). The test's
            // pre-stop delay is shorter than production's (seconds): the check interval is shortened to match.
            PoolingHttpClientConnectionManager pool = PoolingHttpClientConnectionManagerBuilder.create()
                    .setDefaultConnectionConfig(ConnectionConfig.custom()
                                                                .setValidateAfterInactivity(TimeValue.ofMilliseconds(50))
                                                                .build())
                    .build();
            client = HttpClients.custom().setConnectionManager(pool).build();
        }

        @Override
        public Result get(String path) {
            return execute(new HttpGet(base + path));
        }

        @Override
        public Result post(String path, String body) {
            HttpPost post = new HttpPost(base + path);
            post.setEntity(new StringEntity(body, ContentType.TEXT_PLAIN));
            return execute(post);
        }

        private Result execute(ClassicHttpRequest request) {
            try {
                return client.execute(request, response -> new Result(
                        response.getCode(),
                        response.getEntity() == null ? ""
                                : EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8),
                        response.containsHeader("Connection")
                        && response.getFirstHeader("Connection").getValue().equalsIgnoreCase("close")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            try {
                client.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
