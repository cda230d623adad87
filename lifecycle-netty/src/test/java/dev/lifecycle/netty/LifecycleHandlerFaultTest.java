package dev.lifecycle.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.State;
import dev.lifecycle.testing.BackgroundThreads;
import dev.lifecycle.testing.LogCapture;
import dev.lifecycle.testing.RawHttpConnection;

/** Faults and bad input over real sockets: clients that go away, requests that never end, odd probe requests. */
class LifecycleHandlerFaultTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private Lifecycle lifecycle;
    private InflightTracker tracker;
    private TestServer server;
    private final BackgroundThreads background = new BackgroundThreads();
    private CompletableFuture<Void> shutdown;

    private void start(Duration drainTimeout) throws InterruptedException {
        lifecycle = Lifecycle.builder()
                             .environment(Map.of())
                             .drainTimeout(drainTimeout)
                             .terminationGracePeriod(Duration.ofHours(1))
                             .build();
        tracker = lifecycle.tracker();
        server = new TestServer(lifecycle);
        lifecycle.start();
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

    // Proves: a client gone in the middle of a chunked response releases its count, and the drain is not blocked.
    @Test
    void clientGoneMidChunkedResponseReleasesItsCountAndTheDrainIsNotBlocked() throws Exception {
        start(Duration.ofMinutes(1));
        TestServer.Stream stream;
        // Captured from before the client goes: closing it may already release the count and end the drain.
        try (LogCapture logs = new LogCapture()) {
            try (RawHttpConnection client = new RawHttpConnection(server.port)) {
                client.request("GET", "/stream");
                assertThat(client.readHead().header("Transfer-Encoding")).isEqualTo("chunked");
                assertThat(client.readChunk()).isEqualTo("first\n");
                stream = server.nextStream();
                startShutdown();
                await().atMost(WAIT).until(tracker::isDraining);
                assertThat(tracker.inflight()).isEqualTo(1);
            }

            stream.send("written to a closed connection\n");
            await().atMost(WAIT).until(shutdown::isDone);
            assertThat(logs.text()).contains("Drained in").doesNotContain("Drain timed out");
        }
        assertThat(tracker.inflight()).isZero();
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    // Proves: a request that never finishes ends the drain at its bound, not at the default 20 s nor when the request
    // ends, and the WARN names it. No upper bound by wall clock: a slow machine may run late, never early.
    @Test
    void requestThatNeverFinishesEndsTheDrainAtItsBoundAndTheWarningNamesIt() throws Exception {
        Duration bound = Duration.ofMillis(500);
        start(bound);
        try (RawHttpConnection stuck = new RawHttpConnection(server.port); LogCapture logs = new LogCapture()) {
            stuck.request("GET", "/slow?token=secret");
            await().atMost(WAIT).until(() -> tracker.inflight() == 1);

            // The default drain timeout (20 s) is twice WAIT: a bound left unused would fail here.
            assertThat(background.start("shutdown", lifecycle::shutdown)).succeedsWithin(WAIT);

            assertThat(lifecycle.drainDuration()).hasValueSatisfying(
                    drain -> assertThat(drain).isGreaterThanOrEqualTo(bound));
            assertThat(logs.text()).contains("WARN", "Drain timed out after ", "with 1 request(s) and 0 long-lived "
                                             + "request(s) still in flight; oldest: GET /slow (age ")
                                   .doesNotContain("secret");
            assertThat(stuck.isClosedByServer()).as("closed by the stop action after the drain").isTrue();
        }
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
        assertThat(tracker.inflight()).isZero();
    }

    // Proves: odd methods on the probe paths get 405 with Allow, and the connection keeps serving.
    @Test
    void probeRequestsWithOddMethodsGet405AndTheConnectionKeepsServing() throws Exception {
        start(Duration.ofSeconds(10));
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            for (String method : List.of("BREW", "PROPFIND", "M".repeat(100))) {
                for (String probe : List.of("/health/live", "/health/ready", "/health/started")) {
                    RawHttpConnection.Response response = client.request(method, probe).read();
                    assertThat(response.status()).as(method + " " + probe).isEqualTo(405);
                    assertThat(response.header("Allow")).isEqualTo("GET, HEAD");
                }
            }
            assertThat(client.get("/health/live").status()).isEqualTo(200);
            assertThat(client.get("/hello").body()).isEqualTo("hello");
        }
        await().atMost(WAIT).until(() -> tracker.inflight() == 0);
    }

    // Regression (hugeHeaderOnAProbeWasAnswered200AndLeftTheConnectionDeaf): a probe whose 64 KiB header Netty could
    // not decode got the probe's 200, keep-alive, on a connection whose decoder then dropped every later request.
    @Test
    void hugeHeaderOnAProbeWasAnswered200AndLeftTheConnectionDeaf() throws Exception {
        start(Duration.ofSeconds(10));
        for (String probe : List.of("/health/live", "/health/ready", "/health/started")) {
            try (RawHttpConnection client = new RawHttpConnection(server.port)) {
                client.send("GET " + probe + " HTTP/1.1\r\nHost: localhost\r\nX-Huge: " + "h".repeat(64 * 1024)
                            + "\r\n\r\n");
                RawHttpConnection.Response response = client.read();
                assertThat(response.status()).as(probe).isEqualTo(431);
                assertThat(response.header("Connection")).isEqualTo("close");
                assertThat(response.body()).isEqualTo("Request Header Fields Too Large\n");
                assertThat(client.isClosedByServer()).isTrue();
            }
        }
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            assertThat(client.get("/health/live").status()).isEqualTo(200);
        }
        assertThat(tracker.inflight()).isZero();
        assertThat(tracker.refused()).isZero();
    }

    // Proves: requests Netty cannot decode get 431/414/400 with Connection: close, never reach the application, are
    // never counted, and the server keeps serving.
    @Test
    void requestsNettyCannotDecodeGetA4xxAndCloseWithoutReachingTheApplication() throws Exception {
        start(Duration.ofSeconds(10));
        Map<String, Integer> statuses = Map.of(
                "GET /hello HTTP/1.1\r\nHost: localhost\r\nX-Huge: " + "h".repeat(64 * 1024) + "\r\n\r\n", 431,
                "GET /" + "p".repeat(8 * 1024) + " HTTP/1.1\r\nHost: localhost\r\n\r\n", 414,
                "GET /hello HTTP1.1\r\nHost: localhost\r\n\r\n", 400);
        for (Map.Entry<String, Integer> request : statuses.entrySet()) {
            try (RawHttpConnection client = new RawHttpConnection(server.port)) {
                RawHttpConnection.Response response = client.send(request.getKey()).read();
                String shown = request.getKey().substring(0, 20);
                assertThat(response.status()).as(shown).isEqualTo(request.getValue());
                assertThat(response.header("Connection")).as(shown).isEqualTo("close");
                assertThat(client.isClosedByServer()).as(shown).isTrue();
            }
        }
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            assertThat(client.get("/hello").body()).isEqualTo("hello");
        }
        await().atMost(WAIT).until(() -> tracker.inflight() == 0);
        assertThat(tracker.refused()).isZero();
    }
}
