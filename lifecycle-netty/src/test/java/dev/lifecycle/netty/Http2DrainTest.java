package dev.lifecycle.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.State;
import dev.lifecycle.testing.BackgroundThreads;

/**
 * The JDK {@code HttpClient} speaking HTTP/2 to a draining server, over h2c (the HTTP/1.1 upgrade) and over TLS (ALPN):
 * on the graceful {@code GOAWAY} it opens a new connection for its next requests, and no request fails.
 */
class Http2DrainTest {

    private Lifecycle lifecycle;
    private InflightTracker tracker;
    private TestServer server;
    private final BackgroundThreads background = new BackgroundThreads();
    private CompletableFuture<Void> shutdown;

    /**
     * The JDK client before 24 fails a request it sends as a GOAWAY arrives, graceful or not (JDK-8335181): on Java 17
     * this test failed now and then over TLS, whatever the server does. It runs on Java 24 and later (scripts/test runs
     * this module on Temurin 25); on 17 the HTTP/2 drain is proven by Http2GoAwayTest with Netty's own client.
     */
    @BeforeEach
    void needsAJdkClientThatHandlesGoAway() {
        assumeTrue(Runtime.version().feature() >= 24,
                   "the JDK HttpClient before 24 fails requests sent as a GOAWAY arrives (JDK-8335181)");
    }

    private HttpClient start(TestServer.Protocol protocol) throws InterruptedException {
        lifecycle = Lifecycle.builder()
                             .environment(Map.of())
                             .drainTimeout(Duration.ofSeconds(30))
                             .terminationGracePeriod(Duration.ofMinutes(1))
                             .build();
        tracker = lifecycle.tracker();
        server = new TestServer(NettyLifecycle.of(lifecycle), protocol);
        lifecycle.start();
        HttpClient.Builder client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2);
        if (protocol == TestServer.Protocol.TLS) {
            client.sslContext(TestCertificates.clientContext());
        }
        return client.build();
    }

    private void startShutdown() {
        shutdown = background.start("shutdown", lifecycle::shutdown);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.close();
        }
        background.close();
    }

    private URI uri(TestServer.Protocol protocol, String path) {
        String scheme = protocol == TestServer.Protocol.TLS ? "https" : "http";
        return URI.create(scheme + "://127.0.0.1:" + server.port + path);
    }

    private HttpResponse<String> send(HttpClient client, HttpRequest.Builder request) throws Exception {
        return client.send(request.build(), BodyHandlers.ofString());
    }

    /**
     * The client's pooled HTTP/2 connection is idle when the drain begins, while a slow HTTP/1.1 request on another
     * connection keeps the drain going: the connection gets the graceful GOAWAY and closes, and the client's next
     * requests, on new connections, are served. (The slow request is not on the HTTP/2 connection because the JDK
     * client before JDK 24 fails the requests it has in flight on any GOAWAY: JDK-8335181. The Netty client test
     * shows streams in flight completing across the GOAWAY.)
     */
    private void clientMovesToANewConnectionOnGoAwayAndNoRequestFails(TestServer.Protocol protocol) throws Exception {
        HttpClient client = start(protocol);
        HttpResponse<String> first = send(client, HttpRequest.newBuilder(uri(protocol, "/hello")));
        assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(first.body()).isEqualTo("hello");
        HttpClient.Builder http1Builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1);
        if (protocol == TestServer.Protocol.TLS) {
            http1Builder.sslContext(TestCertificates.clientContext());
        }
        HttpClient http1 = http1Builder.build();
        CompletableFuture<HttpResponse<String>> slow =
                http1.sendAsync(HttpRequest.newBuilder(uri(protocol, "/slow")).build(), BodyHandlers.ofString());
        await().until(() -> tracker.inflight() == 1);
        assertThat(server.netty.connections).hasSize(2);

        startShutdown();
        // The idle HTTP/2 connection got its GOAWAY, the client acknowledged its PING, and the connection closed.
        await().until(() -> server.netty.connections.size() == 1);
        assertThat(tracker.isDraining()).isTrue();

        HttpResponse<String> during = send(client, HttpRequest.newBuilder(uri(protocol, "/hello")));
        assertThat(during.statusCode() + " " + during.body()).isEqualTo("200 hello");
        assertThat(during.version()).isEqualTo(HttpClient.Version.HTTP_2);
        // That new connection got its GOAWAY once its stream ended, and closed: the client has seen the GOAWAY (the
        // JDK client before 24 would fail a request sent on it meanwhile, even under a graceful GOAWAY).
        await().until(() -> server.netty.connections.size() == 1);
        HttpResponse<String> post = send(client, HttpRequest.newBuilder(uri(protocol, "/echo"))
                                                            .POST(BodyPublishers.ofString("abc")));
        assertThat(post.statusCode() + " " + post.body()).isEqualTo("200 posted 3");
        assertThat(post.version()).isEqualTo(HttpClient.Version.HTTP_2);

        server.releaseSlow();
        HttpResponse<String> slowResponse = slow.get(10, TimeUnit.SECONDS);
        assertThat(slowResponse.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(slowResponse.body()).isEqualTo("/slow");
        await().atMost(Duration.ofSeconds(30)).until(shutdown::isDone);
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
        assertThat(tracker.inflight()).isZero();
    }

    @Test
    void jdkClientOverH2cUpgradeMovesToANewConnectionOnGoAwayAndNoRequestFails() throws Exception {
        clientMovesToANewConnectionOnGoAwayAndNoRequestFails(TestServer.Protocol.H2C);
    }

    @Test
    void jdkClientOverTlsMovesToANewConnectionOnGoAwayAndNoRequestFails() throws Exception {
        clientMovesToANewConnectionOnGoAwayAndNoRequestFails(TestServer.Protocol.TLS);
    }
}
