package dev.lifecycle.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.State;
import dev.lifecycle.testing.RawHttpConnection;

/**
 * Probes whose liveness check blocks until the test lets it answer, on a server with a single event loop: what
 * the probe executor must keep working meanwhile.
 */
class LifecycleHandlerProbeExecutorTest {

    private final CountDownLatch healthy = new CountDownLatch(1);
    private final AtomicInteger checks = new AtomicInteger();
    private final Lifecycle lifecycle = Lifecycle.builder()
                                                 .environment(Map.of())
                                                 .drainTimeout(Duration.ofSeconds(10))
                                                 // the check must still be blocked when the test lets it answer
                                                 .healthCheckTimeout(Duration.ofMinutes(1))
                                                 // every probe runs the check: the tests count the probes by it
                                                 .healthCheckMaxAge(Duration.ZERO)
                                                 .livenessCheck("db", () -> {
                                                     checks.incrementAndGet();
                                                     return healthy.await(20, TimeUnit.SECONDS);
                                                 })
                                                 .build();
    private final InflightTracker tracker = lifecycle.tracker();
    private TestServer server;

    @AfterEach
    void stop() throws InterruptedException {
        healthy.countDown();
        if (server != null) {
            server.close();
        }
    }

    private void serve(NettyLifecycle netty) throws InterruptedException {
        server = new TestServer(netty);
        lifecycle.start();
    }

    /** Sends a request on another connection and reads its answer: the single event loop is free. */
    private void assertEventLoopServes() throws Exception {
        try (RawHttpConnection other = new RawHttpConnection(server.port)) {
            assertThat(other.get("/hello").body()).isEqualTo("hello");
        }
    }

    @Test
    void blockedLivenessCheckDoesNotBlockTheEventLoop() throws Exception {
        serve(NettyLifecycle.of(lifecycle));
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            client.request("GET", "/health/live");
            await().until(() -> checks.get() == 1);

            assertEventLoopServes();

            healthy.countDown();
            RawHttpConnection.Response live = client.read();
            assertThat(live.status()).isEqualTo(200);
            assertThat(live.body()).contains("\"status\":\"UP\"", "\"name\":\"db\"");
            assertThat(client.get("/hello").body()).as("the connection reads again").isEqualTo("hello");
        }
    }

    @Test
    void requestPipelinedBehindABlockedProbeWaitsAndIsAnsweredAfterIt() throws Exception {
        serve(NettyLifecycle.of(lifecycle));
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            client.send("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        + "GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n");
            await().until(() -> checks.get() == 1);
            assertEventLoopServes(); // the event loop is past the read of both requests
            await().until(() -> tracker.inflight() == 0); // the other connection's request exits as it completes
            assertThat(server.heldSlow()).as("held, not handed to the application yet").isZero();

            healthy.countDown();
            assertThat(client.read().body()).startsWith("{\"status\":\"UP\"");
            await().until(() -> tracker.inflight() == 1);
            server.releaseSlow();
            assertThat(client.read().body()).isEqualTo("/slow");
        }
        await().until(() -> tracker.inflight() == 0);
    }

    @Test
    void probesPipelinedOneAfterTheOtherAreAllAnsweredInOrder() throws Exception {
        serve(NettyLifecycle.of(lifecycle));
        healthy.countDown();
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            client.send("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        + "GET /health/ready?a HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        + "GET /slow?after-probes HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        + "HEAD /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        + "GET /health/started HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertThat(client.read().body()).contains("\"name\":\"db\"");
            assertThat(client.read().body()).doesNotContain("\"name\":\"db\"").contains("\"inflight\":0");
            server.releaseSlow();
            assertThat(client.read().body()).isEqualTo("/slow?after-probes");
            assertThat(client.readHead().status()).isEqualTo(200);
            assertThat(client.read().body()).contains("\"state\":\"READY\"");
        }
        assertThat(checks).hasValue(2);
    }

    @Test
    void connectionClosedWhileItsProbeIsComputingReleasesEverything() throws Exception {
        serve(NettyLifecycle.of(lifecycle));
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            client.send("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        + "POST /slow HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello"
                        + "GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n");
            await().until(() -> checks.get() == 1);
            assertEventLoopServes();
            // Holding requests, the connection no longer reads: it would see the client's close only once the probe
            // is answered. Closed here by the server, as the stop action does.
            server.netty.connections.forEach(DrainingConnection::close);
            assertThat(client.isClosedByServer()).isTrue();
        }
        await().until(() -> server.netty.connections.isEmpty());
        // A held probe that ran would share the first one's run (a check has one run at a time), so this only
        // shows that no second run started.
        assertThat(checks).as("the probe held behind the first never ran").hasValue(1);

        healthy.countDown();
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            assertThat(client.get("/health/live").status()).isEqualTo(200);
        }
        assertThat(tracker.inflight()).isZero();
        assertThat(server.heldSlow()).isZero();
    }

    @Test
    void clientClosingWhileItsProbeIsComputingIsSeenAtOnce() throws Exception {
        serve(NettyLifecycle.of(lifecycle));
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            client.request("GET", "/health/live");
            await().until(() -> checks.get() == 1);
        }
        await().until(() -> server.netty.connections.isEmpty());

        healthy.countDown();
        assertEventLoopServes();
    }

    @Test
    void probeIsAnsweredOnTheEventLoopWhenTheExecutorRejectsIt() throws Exception {
        serve(NettyLifecycle.builder(lifecycle).probeExecutor(task -> {
            throw new RejectedExecutionException("full");
        }).build());
        healthy.countDown();
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            assertThat(client.get("/health/live").status()).isEqualTo(200);
            assertThat(client.get("/health/ready").status()).isEqualTo(200);
        }
    }

    @Test
    void stopActionShutsTheDefaultProbeExecutorDown() throws Exception {
        serve(NettyLifecycle.of(lifecycle));
        healthy.countDown();
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            assertThat(client.get("/health/live").status()).isEqualTo(200);
        }
        lifecycle.shutdown();
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
        assertThat(server.netty.probeExecutor).isInstanceOfSatisfying(
                ExecutorService.class, executor -> assertThat(executor.isShutdown()).isTrue());
    }
}
