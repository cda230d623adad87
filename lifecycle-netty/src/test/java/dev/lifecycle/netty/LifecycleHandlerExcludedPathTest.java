package dev.lifecycle.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.StartupTask;
import dev.lifecycle.core.State;
import dev.lifecycle.testing.BackgroundThreads;
import dev.lifecycle.testing.RawHttpConnection;

class LifecycleHandlerExcludedPathTest {

    private final CountDownLatch migrations = new CountDownLatch(1);
    private final Lifecycle lifecycle = Lifecycle.builder()
                                                 .environment(Map.of())
                                                 .drainTimeout(Duration.ofSeconds(10))
                                                 .startupTask(StartupTask.of("migrations", migrations::await))
                                                 .build();
    private final InflightTracker tracker = lifecycle.tracker();
    private TestServer server;
    private final BackgroundThreads background = new BackgroundThreads();

    private void serve() throws InterruptedException {
        server = new TestServer(NettyLifecycle.builder(lifecycle)
                                              .excludePaths("/metrics", "/slow/excluded", "/static/*")
                                              .build());
    }

    private void start() {
        migrations.countDown();
        lifecycle.start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        migrations.countDown();
        if (server != null) {
            server.close();
        }
        background.close();
    }

    @Test
    void excludedPathsAreServedWhileStartingWhenOtherRequestsAreRefused() throws Exception {
        serve();
        background.start("start", lifecycle::start);
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            assertThat(client.get("/metrics").body()).isEqualTo("hello");
            assertThat(client.get("/metrics?name=lifecycle").body()).as("query ignored").isEqualTo("hello");
            assertThat(client.get("/static").body()).isEqualTo("hello");
            assertThat(client.get("/static/app.js").body()).isEqualTo("hello");
        }
        for (String refused : new String[] {"/metricsx", "/statics", "/hello"}) {
            try (RawHttpConnection client = new RawHttpConnection(server.port)) { // a refusal closes its connection
                assertThat(client.get(refused).status()).isEqualTo(503);
            }
        }
        assertThat(tracker.refused()).isEqualTo(3);
        assertThat(lifecycle.state()).isEqualTo(State.STARTING);
    }

    @Test
    void excludedRequestInProgressIsNotCountedAndKeepsItsPlaceAmongPipelinedRequests() throws Exception {
        serve();
        start();
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            client.send("GET /slow/excluded HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        + "GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n");
            await().until(() -> server.heldSlow() == 1);
            assertThat(tracker.inflight()).isZero();

            server.releaseSlow();
            assertThat(client.read().body()).isEqualTo("/slow/excluded");
            RawHttpConnection.Response live = client.read();
            assertThat(live.status()).isEqualTo(200);
            assertThat(live.body()).contains("\"inflight\":0");
            assertThat(client.get("/hello").body()).isEqualTo("hello");
        }
    }

    @Test
    void excludedPathIsServedAfterAdmissionClosedWithConnectionClose() throws Exception {
        serve();
        start();
        try (RawHttpConnection excluded = new RawHttpConnection(server.port);
             RawHttpConnection counted = new RawHttpConnection(server.port)) {
            excluded.request("GET", "/slow/excluded");
            await().until(() -> server.heldSlow() == 1);
            counted.request("GET", "/slow");
            await().until(() -> tracker.inflight() == 1);
            background.start("shutdown", lifecycle::shutdown);
            await().until(tracker::isDraining);

            try (RawHttpConnection late = new RawHttpConnection(server.port)) {
                RawHttpConnection.Response metrics = late.get("/metrics");
                assertThat(metrics.body()).isEqualTo("hello");
                assertThat(metrics.header("Connection")).isEqualTo("close");
                assertThat(late.isClosedByServer()).isTrue();
            }
            server.releaseSlow();
            RawHttpConnection.Response slow = excluded.read();
            assertThat(slow.body()).isEqualTo("/slow/excluded");
            assertThat(slow.header("Connection")).as("begun before the drain, ended during it").isEqualTo("close");
            assertThat(excluded.isClosedByServer()).isTrue();
            assertThat(tracker.refused()).isZero();
            assertThat(tracker.inflight()).isEqualTo(1);

            server.releaseSlow();
            assertThat(counted.read().body()).isEqualTo("/slow");
        }
        await().until(() -> lifecycle.state() == State.STOPPED);
    }
}
