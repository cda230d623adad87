package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HaproxyTest {

    @TempDir
    Path directory;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    private Haproxy haproxy(int slots, Duration checkInterval) throws Exception {
        return closeLater(Haproxy.start(Haproxy.defaultBinary(), directory.resolve("haproxy"), "/ready", slots,
                checkInterval, 3));
    }

    private static ClientConnection.Response get(ClientConnection connection) throws IOException {
        connection.write("GET /x HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return connection.read();
    }

    private ClientConnection connect(Haproxy haproxy) throws IOException {
        return closeLater(ClientConnection.open(0, haproxy.frontend(), 2000, 2000, "X-Instance"));
    }

    @Test
    void configurationBalancesConnectionsAndNeverRetriesOrRedispatches() {
        String config = Haproxy.config(Path.of("/tmp/admin.sock"), 8080, "/health/ready", 2, Duration.ofSeconds(3), 3);

        assertThat(config).contains("  mode tcp\n", "  retries 0\n", "  no option redispatch\n",
                "  option httpchk GET /health/ready\n", "  http-check expect status 200\n",
                "  bind 127.0.0.1:8080\n", "stats socket /tmp/admin.sock mode 600 level admin",
                "inter 3000ms fastinter 3000ms", "fall 3");
        assertThat(config).doesNotContain("retry-on", "shutdown-sessions", "mode http", "\n  option redispatch");
    }

    @Test
    void replicaEntersRotationOnlyOnceItsReadinessCheckAnswers200() throws Exception {
        Backend backend = closeLater(Backend.hello("a"));
        backend.ready.set(false);
        Haproxy haproxy = haproxy(2, Duration.ofSeconds(3));

        haproxy.route(1, backend.port());
        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(3))
                .until(() -> haproxy.server("s1").isDown());
        backend.ready.set(true);

        await().atMost(Duration.ofSeconds(5)).until(() -> haproxy.server("s1").isUp());
        ClientConnection.Response response = get(connect(haproxy));
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.instance()).isEqualTo("a");
        assertThat(haproxy.server("s2").isDown()).isTrue();
    }

    @Test
    void removedReplicaKeepsItsEstablishedConnectionsButGetsNoNewOnes() throws Exception {
        Backend a = closeLater(Backend.hello("a"));
        Backend b = closeLater(Backend.hello("b"));
        Haproxy haproxy = haproxy(2, Duration.ofSeconds(3));
        haproxy.route(1, a.port());
        haproxy.route(2, b.port());
        await().atMost(Duration.ofSeconds(5)).until(() -> haproxy.server("s1").isUp() && haproxy.server("s2").isUp());
        ClientConnection pinned = null;
        for (int i = 0; i < 4 && pinned == null; i++) {
            ClientConnection connection = connect(haproxy);
            if ("a".equals(get(connection).instance())) {
                pinned = connection;
            }
        }
        assertThat(pinned).as("a connection balanced to a").isNotNull();

        haproxy.remove(1);

        assertThat(haproxy.server("s1").isInMaintenance()).isTrue();
        Set<String> fresh = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            fresh.add(get(connect(haproxy)).instance());
        }
        assertThat(fresh).containsOnly("b");
        assertThat(get(pinned).instance()).as("established connection after removal").isEqualTo("a");
    }

    @Test
    void failingReadinessChecksTakeAReplicaOutOfRotation() throws Exception {
        Backend backend = closeLater(Backend.hello("a"));
        Haproxy haproxy = haproxy(1, Duration.ofMillis(200));
        haproxy.route(1, backend.port());
        await().atMost(Duration.ofSeconds(5)).until(() -> haproxy.server("s1").isUp());

        backend.ready.set(false);

        await().atMost(Duration.ofSeconds(5)).until(() -> haproxy.server("s1").isDown());
    }

    @Test
    void replicaHeldInRotationStaysThereWhateverItsReadinessSays() throws Exception {
        // Regression (flaky arithmetic): a replica's own readiness flip must never remove it before the harness does,
        // however the check interval compares with the endpoint lag on a slow machine.
        Backend backend = closeLater(Backend.hello("a"));
        Haproxy haproxy = haproxy(1, Duration.ofMillis(100));
        haproxy.route(1, backend.port());
        await().atMost(Duration.ofSeconds(5)).until(() -> haproxy.server("s1").isUp());

        haproxy.holdInRotation(1);
        backend.ready.set(false);

        Haproxy.ServerStatus held = haproxy.server("s1");
        assertThat(held.status()).as("no check runs any more").isEqualTo("no check");
        assertThat(held.isUp()).isTrue();
        haproxy.remove(1);
        assertThat(haproxy.server("s1").isInMaintenance()).as("only the harness removes it").isTrue();
    }

    @Test
    void connectionToAStoppedReplicaStillInRotationFailsAndIsNeitherRetriedNorRedispatched() throws Exception {
        Backend stopped = Backend.hello("a");
        Backend b = closeLater(Backend.hello("b"));
        Haproxy haproxy = haproxy(2, Duration.ofSeconds(3));
        haproxy.route(1, stopped.port());
        haproxy.route(2, b.port());
        await().atMost(Duration.ofSeconds(5)).until(() -> haproxy.server("s1").isUp() && haproxy.server("s2").isUp());
        haproxy.holdInRotation(1);
        stopped.close();

        LoadGenerator load = new LoadGenerator(haproxy.frontend(), 20, 2, Duration.ofSeconds(2),
                Duration.ofSeconds(2), RequestMix.of(List.of("GET /x")), "X-Instance", new Timeline());
        load.start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> load.records().size() >= 6);
        } finally {
            load.stop(Duration.ofSeconds(5));
        }

        assertThat(haproxy.server("s1").isHeld()).as("still in rotation: its checks stopped").isTrue();
        assertThat(load.records()).filteredOn(r -> r.outcome() != Outcome.OK).isNotEmpty()
                .allSatisfy(r -> assertThat(r.outcome()).isIn(Outcome.EOF_NO_RESPONSE, Outcome.RESET));
        assertThat(load.records()).filteredOn(r -> r.outcome() == Outcome.OK)
                .allSatisfy(r -> assertThat(r.replica()).isEqualTo("b"));
    }
}
