package dev.lifecycle.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.apache.hc.core5.util.TimeValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.State;
import dev.lifecycle.testing.BackgroundThreads;
import dev.lifecycle.testing.RawHttpConnection;
import dev.lifecycle.testing.TcpSockets;

/**
 * Real pooled clients, the JDK {@code HttpClient} and Apache HttpClient 5, across a drain that a slow request keeps
 * going: a keep-alive connection that sat idle through the pre-stop delay, bursts of GETs and POSTs (which no client
 * retries), and responses after which the server closes at once. No request may fail.
 */
class PooledClientDrainTest {

    /** Long enough for a burst to start inside it; how long it really lasts decides no outcome. */
    private static final Duration PRE_STOP_DELAY = Duration.ofMillis(300);

    private Lifecycle lifecycle;
    private InflightTracker tracker;
    private TestServer server;
    private RawHttpConnection slow;
    private final BackgroundThreads background = new BackgroundThreads();
    private CompletableFuture<Void> shutdown;
    private final HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /**
     * Apache checks a pooled connection before reusing it once it has been idle for {@code validateAfterInactivity}
     * (2 s by default, shorter than the usual pre-stop delay); the test's delay is shorter, so it checks every time.
     */
    private final PoolingHttpClientConnectionManager apachePool = PoolingHttpClientConnectionManagerBuilder.create()
            .setDefaultConnectionConfig(ConnectionConfig.custom()
                    .setValidateAfterInactivity(TimeValue.ZERO_MILLISECONDS).build())
            .setMaxConnPerRoute(16)
            .build();
    private final CloseableHttpClient apache = HttpClients.custom().setConnectionManager(apachePool).build();
    private final ExecutorService callers = Executors.newFixedThreadPool(16);

    private void start() throws Exception {
        lifecycle = Lifecycle.builder()
                             .environment(Map.of())
                             .preStopDelay(PRE_STOP_DELAY)
                             .drainTimeout(Duration.ofSeconds(30))
                             .terminationGracePeriod(Duration.ofMinutes(1))
                             .build();
        tracker = lifecycle.tracker();
        server = new TestServer(lifecycle);
        lifecycle.start();
    }

    /** Starts the shutdown while a slow request is in flight, which keeps the drain going until released. */
    private void startShutdownWithASlowRequestInFlight() throws IOException {
        slow = new RawHttpConnection(server.port);
        slow.request("GET", "/slow");
        await().until(() -> tracker.inflight() == 1);
        shutdown = background.start("shutdown", lifecycle::shutdown);
    }

    /**
     * Waits until the drain has begun and the server has closed every idle connection, and the clients have seen it
     * as they do: the only connection left open is the slow request's; the JDK client reads its idle connections, so
     * it closes its side at once, while Apache finds the close when it checks a connection before reusing it, so its
     * idle connections stay half-closed ({@code CLOSE_WAIT}) in its pool until then.
     */
    private void awaitDrainBegunAndIdleConnectionsClosed() {
        await().until(tracker::isDraining);
        await().until(() -> {
            List<TcpSockets.State> sockets = TcpSockets.connectedTo(server.port);
            long established = sockets.stream().filter(TcpSockets.State.ESTABLISHED::equals).count();
            long halfClosed = sockets.stream().filter(TcpSockets.State.CLOSE_WAIT::equals).count();
            return established == 1 && halfClosed == apachePool.getTotalStats().getAvailable();
        });
    }

    private void finishDrain() throws Exception {
        server.releaseSlow();
        assertThat(slow.read().status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(shutdown::isDone);
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    @AfterEach
    void stop() throws Exception {
        callers.shutdownNow();
        apache.close();
        if (slow != null) {
            slow.close();
        }
        if (server != null) {
            server.close();
        }
        background.close();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port + path);
    }

    /** One exchange: "status body", or the client's exception. */
    private String jdkGet(String path) throws Exception {
        var response = jdk.send(java.net.http.HttpRequest.newBuilder(uri(path)).build(), BodyHandlers.ofString());
        return response.statusCode() + " " + response.body();
    }

    private String jdkPost(String path, String body) throws Exception {
        var request = java.net.http.HttpRequest.newBuilder(uri(path)).POST(BodyPublishers.ofString(body)).build();
        var response = jdk.send(request, BodyHandlers.ofString());
        return response.statusCode() + " " + response.body();
    }

    private String apacheGet(String path) throws IOException {
        return apache(new HttpGet(uri(path)));
    }

    private String apachePost(String path, String body) throws IOException {
        HttpPost post = new HttpPost(uri(path));
        post.setEntity(new StringEntity(body, ContentType.TEXT_PLAIN.withCharset(StandardCharsets.UTF_8)));
        return apache(post);
    }

    private String apache(HttpUriRequestBase request) throws IOException {
        return apache.execute(request, response ->
                response.getCode() + " " + EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8));
    }

    @Test
    void jdkClientConnectionIdleThroughThePreStopDelayIsServedDuringTheDrain() throws Exception {
        start();
        assertThat(jdkGet("/hello")).isEqualTo("200 hello"); // the connection now waits in the pool

        startShutdownWithASlowRequestInFlight();
        awaitDrainBegunAndIdleConnectionsClosed();

        assertThat(jdkGet("/hello")).isEqualTo("200 hello");
        assertThat(jdkPost("/echo", "abc")).isEqualTo("200 posted 3");
        finishDrain();
    }

    @Test
    void apacheClientConnectionIdleThroughThePreStopDelayIsServedDuringTheDrain() throws Exception {
        start();
        assertThat(apacheGet("/hello")).isEqualTo("200 hello");

        startShutdownWithASlowRequestInFlight();
        awaitDrainBegunAndIdleConnectionsClosed();

        assertThat(apacheGet("/hello")).isEqualTo("200 hello");
        assertThat(apachePost("/echo", "abcd")).isEqualTo("200 posted 4");
        finishDrain();
    }

    /** A burst: {@code size} concurrent requests from each client, half of them POSTs; returns the answers. */
    private List<String> burst(int size) throws Exception {
        List<Future<String>> calls = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            String body = "x".repeat(i + 1);
            boolean post = i % 2 == 1;
            calls.add(callers.submit(() -> post ? jdkPost("/echo", body) : jdkGet("/hello")));
            calls.add(callers.submit(() -> post ? apachePost("/echo", body) : apacheGet("/chunked")));
        }
        List<String> answers = new ArrayList<>();
        for (Future<String> call : calls) {
            answers.add(call.get(30, TimeUnit.SECONDS)); // an exception of a client fails the test here
        }
        return answers;
    }

    private static List<String> expectedBurst(int size) {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            boolean post = i % 2 == 1;
            expected.add(post ? "200 posted " + (i + 1) : "200 hello");
            expected.add(post ? "200 posted " + (i + 1) : "200 hello");
        }
        return expected;
    }

    @Test
    void burstsOfGetsAndPostsFromPooledClientsAllSucceedAcrossTheDrain() throws Exception {
        start();
        assertThat(burst(8)).isEqualTo(expectedBurst(8)); // fills both pools

        startShutdownWithASlowRequestInFlight();
        await().until(lifecycle::isDraining);
        assertThat(burst(8)).isEqualTo(expectedBurst(8)); // pre-stop delay (or drain): Connection: close

        awaitDrainBegunAndIdleConnectionsClosed();
        assertThat(burst(8)).isEqualTo(expectedBurst(8)); // drain, after the idle connections were closed
        assertThat(burst(8)).isEqualTo(expectedBurst(8));
        finishDrain();
    }

    /**
     * Quarkus found the JDK client failing with "EOF reached while reading" when a server closes right after a
     * {@code Connection: close} response. Here every response during the pre-stop delay closes its connection as soon
     * as it is written, chunked or not, after GETs and POSTs.
     */
    @Test
    void jdkClientReadsEveryResponseAfterWhichTheServerClosesAtOnce() throws Exception {
        start();
        startShutdownWithASlowRequestInFlight();
        await().until(lifecycle::isDraining);
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String path = i % 3 == 0 ? "/chunked/big" : i % 3 == 1 ? "/chunked" : "/hello";
            var request = java.net.http.HttpRequest.newBuilder(uri(path));
            if (i % 4 == 3) {
                request.POST(BodyPublishers.ofString("y".repeat(1000)));
            }
            calls.add(jdk.sendAsync(request.build(), BodyHandlers.ofString())
                         .thenApply(response -> response.statusCode() + " " + response.headers()
                                 .firstValue("connection").orElse("keep-alive")));
        }
        for (CompletableFuture<String> call : calls) {
            assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo("200 close");
        }
        finishDrain();
    }
}
