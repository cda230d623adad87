package dev.lifecycle.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.ConnectException;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.State;
import dev.lifecycle.testing.RawHttpConnection;

class NettyLifecycleStopTest {

    private TestServer server;

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void serverChannelClosesAndEventLoopsTerminateAfterTheDrain() throws Exception {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).drainTimeout(Duration.ofSeconds(10)).build();
        server = new TestServer(lifecycle);
        lifecycle.start();
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            assertThat(client.get("/hello").status()).isEqualTo(200);

            lifecycle.shutdown();

            assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
            assertThat(client.isClosedByServer()).isTrue();
        }
        assertThat(server.channel.isOpen()).isFalse();
        assertThat(server.boss.isTerminated()).isTrue();
        assertThat(server.workers.isTerminated()).isTrue();
        assertThatThrownBy(() -> new RawHttpConnection(server.port).close()).isInstanceOf(ConnectException.class);
    }

    @Test
    void connectionsStillOpenAfterADrainTimeoutAreClosedAndReleased() throws Exception {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).drainTimeout(Duration.ZERO).build();
        server = new TestServer(lifecycle);
        lifecycle.start();
        try (RawHttpConnection client = new RawHttpConnection(server.port)) {
            client.request("GET", "/slow");
            await().until(() -> lifecycle.tracker().inflight() == 1);

            lifecycle.shutdown();

            assertThat(client.isClosedByServer()).isTrue();
            assertThat(lifecycle.tracker().inflight()).isZero();
            assertThat(server.workers.isTerminated()).isTrue();
        }
    }
}
