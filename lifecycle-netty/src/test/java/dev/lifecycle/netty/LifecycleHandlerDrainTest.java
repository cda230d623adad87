package dev.lifecycle.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lifecycle.core.DrainPolicy;
import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.State;
import dev.lifecycle.testing.BackgroundThreads;
import dev.lifecycle.testing.RawHttpConnection;

class LifecycleHandlerDrainTest {

    private Lifecycle lifecycle;
    private InflightTracker tracker;
    private TestServer server;
    private final BackgroundThreads background = new BackgroundThreads();
    private CompletableFuture<Void> shutdown;

    private void start(Duration preStopDelay) throws InterruptedException {
        start(preStopDelay, DrainPolicy.SERVE_AND_CLOSE);
    }

    private void start(Duration preStopDelay, DrainPolicy drainPolicy) throws InterruptedException {
        lifecycle = Lifecycle.builder()
                             .environment(Map.of())
                             .preStopDelay(preStopDelay)
                             .drainPolicy(drainPolicy)
                             .drainTimeout(Duration.ofSeconds(10))
                             .terminationGracePeriod(preStopDelay.plusMinutes(1))
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

    @Test
    void slowRequestCompletesDuringShutdownWithConnectionClose() throws Exception {
        start(Duration.ZERO);
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            client.request("GET", "/slow");
            await().until(() -> tracker.inflight() == 1);

            startShutdown();
            await().until(tracker::isDraining);
            assertThat(shutdown).isNotDone();

            server.releaseSlow();
            RawHttpConnection.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("/slow");
            assertThat(response.header("Connection")).isEqualTo("close");
            assertThat(client.isClosedByServer()).isTrue();
        }
        await().until(shutdown::isDone);
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
        assertThat(tracker.inflight()).isZero();
    }

    @Test
    void streamedResponseKeepsTheDrainWaitingUntilItsLastChunk() throws Exception {
        start(Duration.ZERO);
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            client.request("GET", "/stream");
            assertThat(client.readHead().header("Transfer-Encoding")).isEqualTo("chunked");
            assertThat(client.readChunk()).isEqualTo("first\n");
            TestServer.Stream stream = server.nextStream();

            startShutdown();
            await().until(tracker::isDraining);
            stream.send("second\n");
            assertThat(client.readChunk()).isEqualTo("second\n");
            assertThat(tracker.inflight()).isEqualTo(1);
            assertThat(shutdown).isNotDone();

            stream.end();
            assertThat(client.readChunk()).isEmpty();
            await().until(shutdown::isDone);
            assertThat(client.isClosedByServer()).isTrue();
        }
        assertThat(tracker.inflight()).isZero();
    }

    @Test
    void requestAfterAdmissionClosedGets503WithRetryAfterAndTheConnectionCloses() throws Exception {
        start(Duration.ZERO, DrainPolicy.REJECT_503);
        try (RawHttpConnection slow = new RawHttpConnection(server.port)) {
            slow.request("GET", "/slow");
            await().until(() -> tracker.inflight() == 1);
            startShutdown();
            await().until(tracker::isDraining);

            RawHttpConnection late = new RawHttpConnection(server.port);
            RawHttpConnection.Response response = late.get("/hello");
            assertThat(response.status()).isEqualTo(503);
            assertThat(response.header("Retry-After")).isEqualTo("1");
            assertThat(response.header("Connection")).isEqualTo("close");
            assertThat(late.isClosedByServer()).isTrue();
            late.close();
            assertThat(tracker.refused()).isEqualTo(1);
            assertThat(tracker.inflight()).isEqualTo(1);

            server.releaseSlow();
            assertThat(slow.read().status()).isEqualTo(200);
        }
        await().until(shutdown::isDone);
    }

    @Test
    void underReject429ARequestDuringTheDrainGetsTheLifecyclesRefusal() throws Exception {
        start(Duration.ZERO, DrainPolicy.REJECT_429);
        try (RawHttpConnection slow = new RawHttpConnection(server.port)) {
            slow.request("GET", "/slow");
            await().until(() -> tracker.inflight() == 1);
            startShutdown();
            await().until(tracker::isDraining);

            try (RawHttpConnection late = new RawHttpConnection(server.port)) {
                RawHttpConnection.Response response = late.get("/hello");
                assertThat(response.status()).isEqualTo(429);
                assertThat(response.header("Retry-After")).isEqualTo("1");
                assertThat(response.header("Cache-Control")).isEqualTo("no-store");
                assertThat(response.header("Connection")).isEqualTo("close");
                assertThat(response.body()).isEqualTo("Too Many Requests: shutting down\n");
                assertThat(late.isClosedByServer()).isTrue();
            }
            server.releaseSlow();
            assertThat(slow.read().status()).isEqualTo(200);
        }
        await().until(shutdown::isDone);
    }

    @Test
    void keepAliveClientGetsConnectionCloseDuringThePreStopDelayAndTheServerCloses() throws Exception {
        start(Duration.ofHours(1));
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            RawHttpConnection.Response before = client.get("/hello");
            assertThat(before.status()).isEqualTo(200);
            assertThat(before.header("Connection")).isNull();

            // Nothing public ends the hour-long pre-stop delay early, not even an interrupt (it keeps its bound): the
            // shutdown's daemon thread is left waiting it out, detached, so that @AfterEach does not join it.
            shutdown = background.startDetached("shutdown", lifecycle::shutdown);
            await().until(lifecycle::isDraining);
            RawHttpConnection.Response during = client.get("/hello");
            assertThat(during.status()).isEqualTo(200);
            assertThat(during.header("Connection")).isEqualTo("close");
            assertThat(client.isClosedByServer()).isTrue();
            assertThat(tracker.isDraining()).isFalse();
        }
    }

    @Test
    void idleKeepAliveConnectionIsClosedWhenTheDrainBeginsAndCounted() throws Exception {
        start(Duration.ZERO);
        try (RawHttpConnection idle = new RawHttpConnection(server.port);
             RawHttpConnection slow = new RawHttpConnection(server.port)) {
            assertThat(idle.get("/hello").header("Connection")).isNull();
            slow.request("GET", "/slow");
            await().until(() -> tracker.inflight() == 1);

            startShutdown();
            assertThat(idle.isClosedByServer()).isTrue();
            assertThat(tracker.isDraining()).isTrue();
            assertThat(shutdown).isNotDone(); // closed by the drain's beginning, not by a stop action
            assertThat(lifecycle.connections().closedIdleCount()).isEqualTo(1);

            server.releaseSlow();
            assertThat(slow.read().header("Connection")).isEqualTo("close");
            assertThat(slow.isClosedByServer()).isTrue();
        }
        await().until(shutdown::isDone);
        assertThat(lifecycle.connections().closedAfterResponseCount()).isEqualTo(1);
    }

    @Test
    void connectionThatHasNotCarriedARequestYetIsNotClosedWhenTheDrainBeginsAndItsRequestIsServed()
            throws Exception {
        start(Duration.ZERO);
        try (RawHttpConnection fresh = new RawHttpConnection(server.port); RawHttpConnection slow = new RawHttpConnection(server.port)) {
            slow.request("GET", "/slow");
            await().until(() -> tracker.inflight() == 1);
            await().until(() -> server.netty.connections.size() == 2);

            startShutdown();
            await().until(tracker::isDraining);
            // The client connected to send a request: it gets an answer, not a close racing its write.
            RawHttpConnection.Response response = fresh.get("/hello");
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("Connection")).isEqualTo("close");
            assertThat(fresh.isClosedByServer()).isTrue();
            assertThat(lifecycle.connections().closedIdleCount()).isZero();
            assertThat(tracker.servedWhileDraining()).isEqualTo(1);

            server.releaseSlow();
            assertThat(slow.read().status()).isEqualTo(200);
        }
        await().until(shutdown::isDone);
    }

    @Test
    void peerDisconnectMidRequestReleasesTheCount() throws Exception {
        start(Duration.ZERO);
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            client.send("POST /slow HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\npartial body");
            await().until(() -> tracker.inflight() == 1);
        }
        await().until(() -> tracker.inflight() == 0);
        lifecycle.shutdown();
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    @Test
    void exceptionThatClosesTheConnectionReleasesTheCount() throws Exception {
        start(Duration.ZERO);
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            client.request("GET", "/boom");
            assertThat(client.isClosedByServer()).isTrue();
        }
        await().until(() -> tracker.inflight() == 0);
    }

    @Test
    void pipelinedRequestsAreCountedIndividually() throws Exception {
        start(Duration.ZERO);
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            client.send("GET /slow?n=1 HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        + "GET /slow?n=2 HTTP/1.1\r\nHost: localhost\r\n\r\n");
            await().until(() -> tracker.inflight() == 2);

            server.releaseSlow();
            assertThat(client.read().body()).isEqualTo("/slow?n=1");
            await().until(() -> tracker.inflight() == 1);

            server.releaseSlow();
            assertThat(client.read().body()).isEqualTo("/slow?n=2");
            await().until(() -> tracker.inflight() == 0);
        }
    }

    @Test
    void pipelinedRequestsDuringTheDrainAreAllAnsweredAndOnlyTheLastCarriesConnectionClose() throws Exception {
        start(Duration.ZERO);
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            client.send("GET /slow?n=1 HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        + "GET /slow?n=2 HTTP/1.1\r\nHost: localhost\r\n\r\n");
            await().until(() -> tracker.inflight() == 2);
            startShutdown();
            await().until(tracker::isDraining);

            server.releaseSlow();
            RawHttpConnection.Response first = client.read();
            assertThat(first.body()).isEqualTo("/slow?n=1");
            assertThat(first.header("Connection")).isNull();
            server.releaseSlow();
            RawHttpConnection.Response second = client.read();
            assertThat(second.body()).isEqualTo("/slow?n=2");
            assertThat(second.header("Connection")).isEqualTo("close");
            assertThat(client.isClosedByServer()).isTrue();
        }
        await().until(shutdown::isDone);
    }

    @Test
    void requestRefusedBehindAnInflightOneIsAnsweredAfterIt() throws Exception {
        start(Duration.ZERO, DrainPolicy.REJECT_503);
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            client.request("GET", "/slow");
            await().until(() -> tracker.inflight() == 1);
            startShutdown();
            await().until(tracker::isDraining);

            client.request("GET", "/hello");
            await().until(() -> tracker.refused() == 1);
            server.releaseSlow();
            RawHttpConnection.Response first = client.read();
            assertThat(first.body()).isEqualTo("/slow");
            assertThat(first.header("Connection")).isNull();
            RawHttpConnection.Response refused = client.read();
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("Connection")).isEqualTo("close");
            assertThat(client.isClosedByServer()).isTrue();
        }
        await().until(shutdown::isDone);
    }

    @Test
    void inflightRequestsAreDescribedByMethodAndPathWithoutQuery() throws Exception {
        start(Duration.ZERO);
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            client.request("GET", "/slow?token=secret");
            await().until(() -> tracker.inflight() == 1);
            assertThat(tracker.describeOldest(10)).singleElement().asString()
                                                 .startsWith("GET /slow (age ")
                                                 .doesNotContain("secret");
            server.releaseSlow();
            client.read();
        }
    }

    @Test
    void upgradedConnectionIsLongLivedAndClosedWhenAdmissionCloses() throws Exception {
        start(Duration.ZERO);
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            assertThat(client.get("/hello").status()).isEqualTo(200);
            assertThat(tracker.longLived()).isZero();
            assertThat(client.get("/upgrade").status()).isEqualTo(101);
            await().until(() -> tracker.longLived() == 1);
            assertThat(tracker.inflight()).isZero();

            startShutdown();
            assertThat(client.isClosedByServer()).isTrue();
        }
        await().until(shutdown::isDone);
        assertThat(tracker.longLived()).isZero();
    }
}
