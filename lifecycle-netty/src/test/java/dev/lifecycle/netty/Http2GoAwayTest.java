package dev.lifecycle.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.lifecycle.core.DrainPolicy;
import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.LifecycleBuilder;
import dev.lifecycle.core.State;
import dev.lifecycle.testing.BackgroundThreads;
import dev.lifecycle.testing.RawHttpConnection;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;

/**
 * The HTTP/2 drain seen frame by frame with Netty's client (prior knowledge): the two-step GOAWAY, streams in flight
 * and streams opened before the client saw the first GOAWAY served, streams the server never processed refused with
 * {@code REFUSED_STREAM}, the connection closed by its last stream, probes and counting over HTTP/2.
 */
class Http2GoAwayTest {

    private static final String MAX_STREAM_ID = String.valueOf(Integer.MAX_VALUE);

    private Lifecycle lifecycle;
    private InflightTracker tracker;
    private TestServer server;
    private Http2TestClient client;
    private final BackgroundThreads background = new BackgroundThreads();
    private CompletableFuture<Void> shutdown;

    private void start(LifecycleBuilder builder) throws InterruptedException {
        lifecycle = builder.environment(Map.of())
                           .drainTimeout(Duration.ofSeconds(30))
                           .terminationGracePeriod(Duration.ofMinutes(1))
                           .build();
        tracker = lifecycle.tracker();
        server = new TestServer(NettyLifecycle.of(lifecycle), TestServer.Protocol.H2C);
        lifecycle.start();
        client = new Http2TestClient(server.port);
    }

    private void startShutdown() {
        shutdown = background.start("shutdown", lifecycle::shutdown);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        background.close();
    }

    private static String get(Http2TestClient.Stream stream) throws Exception {
        return stream.outcome.get(10, TimeUnit.SECONDS);
    }

    @Test
    void twoStepGoAwayServesStreamsInFlightAndStreamsOpenedBeforeTheClientSawItThenTheConnectionCloses()
            throws Exception {
        start(Lifecycle.builder());
        Http2TestClient.Stream inFlight = client.request("GET", "/slow", null).get(10, TimeUnit.SECONDS);
        await().until(() -> tracker.inflight() == 1);
        // A slow HTTP/1.1 request on another connection keeps the drain going after the HTTP/2 connection's end.
        try (RawHttpConnection other = new RawHttpConnection(server.port)) {
            other.request("GET", "/slow");
            await().until(() -> tracker.inflight() == 2);

            startShutdown();
            assertThat(client.nextFrame()).isEqualTo("GOAWAY " + MAX_STREAM_ID);
            // Sent before the client acknowledges the PING, as by a client that had not seen the GOAWAY yet.
            Http2TestClient.Stream opened = client.request("POST", "/echo", "abc").get(10, TimeUnit.SECONDS);
            assertThat(client.nextFrame()).isEqualTo("PING");
            client.ackPing(client.lastPing);
            assertThat(client.nextFrame()).isEqualTo("GOAWAY " + opened.channel.stream().id());

            assertThat(get(opened)).isEqualTo("200 posted 3");
            assertThat(client.connection.isActive()).as("a stream is still in flight").isTrue();
            server.releaseSlow();
            assertThat(get(inFlight)).isEqualTo("200 /slow");
            assertThat(client.connection.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(shutdown).as("closed by its last stream, not by the stop action").isNotDone();

            server.releaseSlow();
            assertThat(other.read().status()).isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(30)).until(shutdown::isDone);
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
        assertThat(tracker.servedWhileDraining()).isEqualTo(1);
        assertThat(lifecycle.connections().closedAfterResponseCount()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void streamArrivingOnceTheDrainIsOverIsRefusedWithRefusedStream() throws Exception {
        start(Lifecycle.builder());
        assertThat(get(client.request("GET", "/hello", null).get(10, TimeUnit.SECONDS))).isEqualTo("200 hello");
        // Holds the shutdown after the drain, before the server stops: admission has closed, the connection is open.
        CountDownLatch stopping = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        lifecycle.addStopAction("hold", () -> {
            stopping.countDown();
            resume.await();
        });

        startShutdown();
        assertThat(client.nextFrame()).isEqualTo("GOAWAY " + MAX_STREAM_ID);
        assertThat(stopping.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(tracker.isClosed()).isTrue();
        Http2TestClient.Stream late = client.request("GET", "/hello", null).get(10, TimeUnit.SECONDS);
        assertThat(get(late)).isEqualTo("RST " + Http2Error.REFUSED_STREAM.code());
        assertThat(tracker.refused()).isEqualTo(1);
        resume.countDown();
        await().atMost(Duration.ofSeconds(30)).until(shutdown::isDone);
    }

    @Test
    void underReject503AStreamDuringTheDrainGetsTheLifecyclesRefusal() throws Exception {
        start(Lifecycle.builder().drainPolicy(DrainPolicy.REJECT_503));
        Http2TestClient.Stream inFlight = client.request("GET", "/slow", null).get(10, TimeUnit.SECONDS);
        await().until(() -> tracker.inflight() == 1);

        startShutdown();
        assertThat(client.nextFrame()).isEqualTo("GOAWAY " + MAX_STREAM_ID);
        Http2TestClient.Stream refused = client.request("GET", "/hello", null).get(10, TimeUnit.SECONDS);
        assertThat(get(refused)).isEqualTo("503 Service Unavailable: shutting down\n");
        server.releaseSlow();
        assertThat(get(inFlight)).isEqualTo("200 /slow");
        await().atMost(Duration.ofSeconds(30)).until(shutdown::isDone);
    }

    // Proves (issue 11, HTTP/2 local answers): the refusal of a REJECT_* drain and a probe's answer during the drain
    // carry no Connection header on an HTTP/2 stream, which RFC 9113 8.2.2 forbids. Seen as the frames were sent.
    @ParameterizedTest
    @EnumSource(value = DrainPolicy.class, names = {"REJECT_503", "REJECT_429"})
    void refusalAndProbeDuringARejectDrainCarryNoConnectionHeader(DrainPolicy policy) throws Exception {
        start(Lifecycle.builder().drainPolicy(policy));
        Http2TestClient.Stream inFlight = client.request("GET", "/slow", null).get(10, TimeUnit.SECONDS);
        await().until(() -> tracker.inflight() == 1);

        startShutdown();
        assertThat(client.nextFrame()).isEqualTo("GOAWAY " + MAX_STREAM_ID);
        await().until(tracker::isClosed);
        Http2TestClient.Stream refused = client.request("GET", "/hello", null).get(10, TimeUnit.SECONDS);
        Http2TestClient.Stream probe = client.request("GET", "/health/live", null).get(10, TimeUnit.SECONDS);
        assertThat(get(refused)).startsWith(policy == DrainPolicy.REJECT_429 ? "429 " : "503 ");
        assertThat(get(probe)).startsWith("200 {");
        Http2Headers refusal = refused.responseHeaders.get(10, TimeUnit.SECONDS);
        assertThat(refusal.get("retry-after")).isNotNull();
        assertThat(refusal.contains("connection")).as("refusal: %s", refusal).isFalse();
        Http2Headers probeHeaders = probe.responseHeaders.get(10, TimeUnit.SECONDS);
        assertThat(probeHeaders.contains("connection")).as("probe: %s", probeHeaders).isFalse();
        server.releaseSlow();
        assertThat(get(inFlight)).isEqualTo("200 /slow");
        await().atMost(Duration.ofSeconds(30)).until(shutdown::isDone);
    }

    @Test
    void probesAnswerOverHttp2AndAreNeverCounted() throws Exception {
        start(Lifecycle.builder());
        String ready = get(client.request("GET", "/health/ready", null).get(10, TimeUnit.SECONDS));
        assertThat(ready).startsWith("200 {").contains("\"status\":\"UP\"");
        assertThat(get(client.request("HEAD", "/health/live", null).get(10, TimeUnit.SECONDS))).isEqualTo("200 ");
        assertThat(get(client.request("POST", "/health/live", "x").get(10, TimeUnit.SECONDS))).isEqualTo("405 ");
        assertThat(tracker.inflight()).isZero();
        assertThat(tracker.refused()).isZero();
    }

    @Test
    void streamIsCountedUntilItsResponseEndsAndDescribedWithoutItsQuery() throws Exception {
        start(Lifecycle.builder());
        Http2TestClient.Stream slow = client.request("GET", "/slow?token=secret", null).get(10, TimeUnit.SECONDS);
        await().until(() -> tracker.inflight() == 1);
        assertThat(tracker.describeOldest(10)).singleElement().asString()
                                             .startsWith("GET /slow (age ").doesNotContain("secret");
        server.releaseSlow();
        assertThat(get(slow)).isEqualTo("200 /slow?token=secret");
        await().until(() -> tracker.inflight() == 0);
    }

    @Test
    void streamResetByTheClientReleasesItsCount() throws Exception {
        start(Lifecycle.builder());
        Http2TestClient.Stream slow = client.request("GET", "/slow", null).get(10, TimeUnit.SECONDS);
        await().until(() -> tracker.inflight() == 1);
        slow.channel.eventLoop().execute(slow::cancel);
        await().until(() -> tracker.inflight() == 0);
        assertThat(client.connection.isActive()).isTrue();
    }
}
