package dev.lifecycle.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lifecycle.core.DrainPolicy;
import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.State;

class LifecycleHandlerDrainTest {

    private Lifecycle lifecycle;
    private InflightTracker tracker;
    private TestServer server;
    private Thread shutdownThread;
    private final CompletableFuture<Void> shutdown = new CompletableFuture<>();

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
        shutdownThread = new Thread(() -> {
            lifecycle.shutdown();
            shutdown.complete(null);
        }, "test-shutdown");
        shutdownThread.setDaemon(true);
        shutdownThread.start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.close();
        }
        if (shutdownThread != null) {
            shutdownThread.join(TimeUnit.SECONDS.toMillis(20));
        }
    }

    @Test
    void slowRequestCompletesDuringShutdownWithConnectionClose() throws Exception {
        start(Duration.ZERO);
        try (RawClient client = new RawClient(server.port)) {
            client.request("GET", "/slow");
            await().until(() -> tracker.inflight() == 1);

            startShutdown();
            await().until(tracker::isDraining);
            assertThat(shutdown).isNotDone();

            server.releaseSlow();
            RawClient.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("/slow");
            assertThat(response.header("Connection")).isEqualTo("close");
            assertThat(client.closedByServer()).isTrue();
        }
        await().until(shutdown::isDone);
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
        assertThat(tracker.inflight()).isZero();
    }

    @Test
    void streamedResponseKeepsTheDrainWaitingUntilItsLastChunk() throws Exception {
        start(Duration.ZERO);
        try (RawClient client = new RawClient(server.port)) {
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
            assertThat(client.closedByServer()).isTrue();
        }
        assertThat(tracker.inflight()).isZero();
    }

    @Test
    void requestAfterAdmissionClosedGets503WithRetryAfterAndTheConnectionCloses() throws Exception {
        start(Duration.ZERO, DrainPolicy.REJECT_503);
        try (RawClient slow = new RawClient(server.port)) {
            slow.request("GET", "/slow");
            await().until(() -> tracker.inflight() == 1);
            startShutdown();
            await().until(tracker::isDraining);

            RawClient late = new RawClient(server.port);
            RawClient.Response response = late.get("/hello");
            assertThat(response.status()).isEqualTo(503);
            assertThat(response.header("Retry-After")).isEqualTo("1");
            assertThat(response.header("Connection")).isEqualTo("close");
            assertThat(late.closedByServer()).isTrue();
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
        try (RawClient slow = new RawClient(server.port)) {
            slow.request("GET", "/slow");
            await().until(() -> tracker.inflight() == 1);
            startShutdown();
            await().until(tracker::isDraining);

            try (RawClient late = new RawClient(server.port)) {
                RawClient.Response response = late.get("/hello");
                assertThat(response.status()).isEqualTo(429);
                assertThat(response.header("Retry-After")).isEqualTo("1");
                assertThat(response.header("Cache-Control")).isEqualTo("no-store");
                assertThat(response.header("Connection")).isEqualTo("close");
                assertThat(response.body()).isEqualTo("Too Many Requests: shutting down\n");
                assertThat(late.closedByServer()).isTrue();
            }
            server.releaseSlow();
            assertThat(slow.read().status()).isEqualTo(200);
        }
        await().until(shutdown::isDone);
    }

    @Test
    void keepAliveClientGetsConnectionCloseDuringThePreStopDelayAndTheServerCloses() throws Exception {
        start(Duration.ofHours(1));
        try (RawClient client = new RawClient(server.port)) {
            RawClient.Response before = client.get("/hello");
            assertThat(before.status()).isEqualTo(200);
            assertThat(before.header("Connection")).isNull();

            startShutdown();
            await().until(lifecycle::isDraining);
            RawClient.Response during = client.get("/hello");
            assertThat(during.status()).isEqualTo(200);
            assertThat(during.header("Connection")).isEqualTo("close");
            assertThat(client.closedByServer()).isTrue();
            assertThat(tracker.isDraining()).isFalse();
        }
        // Nothing public ends the hour-long pre-stop delay early, not even an interrupt (it keeps its bound): the
        // daemon thread is left waiting it out, and @AfterEach does not join it.
        shutdownThread = null;
    }

    @Test
    void idleKeepAliveConnectionIsClosedWhenTheDrainBeginsAndCounted() throws Exception {
        start(Duration.ZERO);
        try (RawClient idle = new RawClient(server.port); RawClient slow = new RawClient(server.port)) {
            assertThat(idle.get("/hello").header("Connection")).isNull();
            slow.request("GET", "/slow");
            await().until(() -> tracker.inflight() == 1);

            startShutdown();
            assertThat(idle.closedByServer()).isTrue();
            assertThat(tracker.isDraining()).isTrue();
            assertThat(shutdown).isNotDone(); // closed by the drain's beginning, not by a stop action
            assertThat(lifecycle.connections().closedIdleCount()).isEqualTo(1);

            server.releaseSlow();
            assertThat(slow.read().header("Connection")).isEqualTo("close");
            assertThat(slow.closedByServer()).isTrue();
        }
        await().until(shutdown::isDone);
        assertThat(lifecycle.connections().closedAfterResponseCount()).isEqualTo(1);
    }

    @Test
    void connectionThatHasNotCarriedARequestYetIsNotClosedWhenTheDrainBeginsAndItsRequestIsServed()
            throws Exception {
        start(Duration.ZERO);
        try (RawClient fresh = new RawClient(server.port); RawClient slow = new RawClient(server.port)) {
            slow.request("GET", "/slow");
            await().until(() -> tracker.inflight() == 1);
            await().until(() -> server.netty.connections.size() == 2);

            startShutdown();
            await().until(tracker::isDraining);
            // The client connected to send a request: it gets an answer, not a close racing its write.
            RawClient.Response response = fresh.get("/hello");
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("Connection")).isEqualTo("close");
            assertThat(fresh.closedByServer()).isTrue();
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
        try (RawClient client = new RawClient(server.port)) {
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
        try (RawClient client = new RawClient(server.port)) {
            client.request("GET", "/boom");
            assertThat(client.closedByServer()).isTrue();
        }
        await().until(() -> tracker.inflight() == 0);
    }

    @Test
    void pipelinedRequestsAreCountedIndividually() throws Exception {
        start(Duration.ZERO);
        try (RawClient client = new RawClient(server.port)) {
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
        try (RawClient client = new RawClient(server.port)) {
            client.send("GET /slow?n=1 HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        + "GET /slow?n=2 HTTP/1.1\r\nHost: localhost\r\n\r\n");
            await().until(() -> tracker.inflight() == 2);
            startShutdown();
            await().until(tracker::isDraining);

            server.releaseSlow();
            RawClient.Response first = client.read();
            assertThat(first.body()).isEqualTo("/slow?n=1");
            assertThat(first.header("Connection")).isNull();
            server.releaseSlow();
            RawClient.Response second = client.read();
            assertThat(second.body()).isEqualTo("/slow?n=2");
            assertThat(second.header("Connection")).isEqualTo("close");
            assertThat(client.closedByServer()).isTrue();
        }
        await().until(shutdown::isDone);
    }

    @Test
    void requestRefusedBehindAnInflightOneIsAnsweredAfterIt() throws Exception {
        start(Duration.ZERO, DrainPolicy.REJECT_503);
        try (RawClient client = new RawClient(server.port)) {
            client.request("GET", "/slow");
            await().until(() -> tracker.inflight() == 1);
            startShutdown();
            await().until(tracker::isDraining);

            client.request("GET", "/hello");
            await().until(() -> tracker.refused() == 1);
            server.releaseSlow();
            RawClient.Response first = client.read();
            assertThat(first.body()).isEqualTo("/slow");
            assertThat(first.header("Connection")).isNull();
            RawClient.Response refused = client.read();
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("Connection")).isEqualTo("close");
            assertThat(client.closedByServer()).isTrue();
        }
        await().until(shutdown::isDone);
    }

    @Test
    void inflightRequestsAreDescribedByMethodAndPathWithoutQuery() throws Exception {
        start(Duration.ZERO);
        try (RawClient client = new RawClient(server.port)) {
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
        try (RawClient client = new RawClient(server.port)) {
            assertThat(client.get("/hello").status()).isEqualTo(200);
            assertThat(tracker.longLived()).isZero();
            assertThat(client.get("/upgrade").status()).isEqualTo(101);
            await().until(() -> tracker.longLived() == 1);
            assertThat(tracker.inflight()).isZero();

            startShutdown();
            assertThat(client.closedByServer()).isTrue();
        }
        await().until(shutdown::isDone);
        assertThat(tracker.longLived()).isZero();
    }
}
