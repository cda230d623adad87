package dev.lifecycle.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.LifecycleBuilder;
import dev.lifecycle.core.StartupException;
import dev.lifecycle.core.StartupTask;
import dev.lifecycle.core.State;
import dev.lifecycle.testing.BackgroundThreads;
import dev.lifecycle.testing.RawHttpConnection;

class LifecycleHandlerProbeTest {

    private Lifecycle lifecycle;
    private InflightTracker tracker;
    private TestServer server;
    private final CountDownLatch migrations = new CountDownLatch(1);
    private final BackgroundThreads background = new BackgroundThreads();

    private static LifecycleBuilder builder() {
        return Lifecycle.builder().environment(Map.of()).drainTimeout(Duration.ofSeconds(10));
    }

    private void serve(Lifecycle lifecycle) throws InterruptedException {
        serve(NettyLifecycle.of(lifecycle));
    }

    private void serve(NettyLifecycle netty) throws InterruptedException {
        lifecycle = netty.lifecycle;
        tracker = lifecycle.tracker();
        server = new TestServer(netty);
    }

    @AfterEach
    void stop() throws InterruptedException {
        migrations.countDown();
        if (server != null) {
            server.close();
        }
        background.close();
    }

    private RawHttpConnection.Response probe(String path) throws Exception {
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            return client.get(path);
        }
    }

    @Test
    void whileStartingLivenessIsUpReadinessAndStartupAreDownAndRequestsGet503() throws Exception {
        serve(builder().startupTask(StartupTask.of("migrations", migrations::await)).build());
        background.start("start", lifecycle::start);

        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            RawHttpConnection.Response live = client.get("/health/live");
            assertThat(live.status()).isEqualTo(200);
            assertThat(live.body()).contains("\"status\":\"UP\"", "\"state\":\"STARTING\"", "\"name\":\"migrations\"");
            assertThat(client.get("/health/ready").status()).isEqualTo(503);
            assertThat(client.get("/health/started").status()).isEqualTo(503);

            RawHttpConnection.Response app = client.get("/hello");
            assertThat(app.status()).isEqualTo(503);
            assertThat(app.header("Retry-After")).isEqualTo("1");
            assertThat(app.header("Connection")).as("the lifecycle's refusal closes").isEqualTo("close");
            assertThat(client.isClosedByServer()).isTrue();
            assertThat(tracker.refused()).as("probes are never refused").isEqualTo(1);
        }
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            migrations.countDown();
            await().until(() -> lifecycle.state() == State.READY);
            assertThat(client.get("/health/ready").status()).isEqualTo(200);
            assertThat(client.get("/health/started").status()).isEqualTo(200);
            assertThat(client.get("/hello").body()).isEqualTo("hello");
        }
    }

    @Test
    void whenReadyEveryProbeIsUpWithTheHealthJsonAndNoStore() throws Exception {
        serve(builder().build());
        lifecycle.start();

        RawHttpConnection.Response ready = probe("/health/ready");
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.header("Content-Type")).isEqualTo("application/json");
        assertThat(ready.header("Cache-Control")).isEqualTo("no-store");
        assertThat(ready.body()).startsWith("{\"status\":\"UP\",\"state\":\"READY\",\"inflight\":0,");
        assertThat(probe("/health/live").status()).isEqualTo(200);
        assertThat(probe("/health/started").status()).isEqualTo(200);
    }

    @Test
    void whileDrainingReadinessIsDownLivenessAndStartupStayUpAndProbesAreNotCounted() throws Exception {
        serve(builder().build());
        lifecycle.start();
        try (RawHttpConnection slow = new RawHttpConnection(server.port)) {
            slow.request("GET", "/slow");
            await().until(() -> tracker.inflight() == 1);
            background.start("shutdown", lifecycle::shutdown);
            await().until(tracker::isDraining);

            RawHttpConnection.Response ready = probe("/health/ready");
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.body()).contains("\"status\":\"DOWN\"", "\"state\":\"DRAINING\"", "\"inflight\":1");
            assertThat(ready.header("Connection")).isEqualTo("close");
            assertThat(probe("/health/live").status()).isEqualTo(200);
            assertThat(probe("/health/started").status()).isEqualTo(200);
            assertThat(tracker.inflight()).isEqualTo(1);
            assertThat(tracker.refused()).isZero();

            server.releaseSlow();
            assertThat(slow.read().status()).isEqualTo(200);
        }
        await().until(() -> lifecycle.state() == State.STOPPED);
    }

    @Test
    void afterStartupFailedEveryProbeIsDownAndShowsTheFailedTask() throws Exception {
        serve(NettyLifecycle.builder(builder().startupTask(StartupTask.of("migrations", () -> {
            throw new IllegalStateException("disk full");
        })).build()).showDetails(true).build());
        assertThatThrownBy(lifecycle::start).isInstanceOf(StartupException.class);

        RawHttpConnection.Response live = probe("/health/live");
        assertThat(live.status()).isEqualTo(503);
        assertThat(live.body()).contains("\"state\":\"FAILED\"", "\"status\":\"FAILED\"", "disk full");
        assertThat(probe("/health/ready").status()).isEqualTo(503);
        assertThat(probe("/health/started").status()).isEqualTo(503);
    }

    @Test
    void errorsAreHiddenUnlessDetailsAreShown() throws Exception {
        serve(builder().livenessCheck("db", () -> {
            throw new IllegalStateException("password=hunter2");
        }).build());
        lifecycle.start();

        RawHttpConnection.Response live = probe("/health/live");
        assertThat(live.status()).isEqualTo(503);
        assertThat(live.body()).contains("\"name\":\"db\"").doesNotContain("hunter2");
    }

    @Test
    void headProbeSendsHeadersWithoutBodyAndTheConnectionStaysUsable() throws Exception {
        serve(builder().build());
        lifecycle.start();
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            RawHttpConnection.Response head = client.request("HEAD", "/health/live").readHead();
            assertThat(head.status()).isEqualTo(200);
            String json = client.get("/health/live").body();
            assertThat(Integer.parseInt(head.header("Content-Length")))
                    .isEqualTo(json.getBytes(StandardCharsets.UTF_8).length);
        }
    }

    @Test
    void otherMethodsOnAProbeGet405WithAllow() throws Exception {
        serve(builder().build());
        lifecycle.start();
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            client.send("POST /health/ready HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello");
            RawHttpConnection.Response response = client.read();
            assertThat(response.status()).isEqualTo(405);
            assertThat(response.header("Allow")).isEqualTo("GET, HEAD");
            assertThat(client.get("/health/ready").status()).as("the body was skipped").isEqualTo(200);
        }
        assertThat(tracker.inflight()).isZero();
    }

    @Test
    void probePipelinedBehindASlowRequestIsAnsweredAfterIt() throws Exception {
        serve(builder().build());
        lifecycle.start();
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            client.send("GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        + "GET /health/live?verbose HTTP/1.1\r\nHost: localhost\r\n\r\n");
            await().until(() -> tracker.inflight() == 1);
            server.releaseSlow();
            assertThat(client.read().body()).isEqualTo("/slow");
            RawHttpConnection.Response live = client.read();
            assertThat(live.status()).isEqualTo(200);
            assertThat(live.body()).startsWith("{\"status\":\"UP\"");
        }
    }

    @Test
    void probePathsAreConfigurable() throws Exception {
        serve(NettyLifecycle.builder(builder().build())
                            .livenessPath("/livez")
                            .readinessPath("/readyz")
                            .startupPath("/startz")
                            .build());
        lifecycle.start();

        assertThat(probe("/livez").status()).isEqualTo(200);
        assertThat(probe("/readyz").body()).contains("\"state\":\"READY\"");
        assertThat(probe("/startz").status()).isEqualTo(200);
        assertThat(probe("/health/live").body()).isEqualTo("hello");
    }
}
