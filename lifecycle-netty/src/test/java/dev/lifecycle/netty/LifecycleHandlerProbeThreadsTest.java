package dev.lifecycle.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.testing.RawHttpConnection;

/**
 * The README's promise: without {@code probeExecutor}, health checks run on up to 4 daemon {@code lifecycle-probe-N}
 * threads.
 */
class LifecycleHandlerProbeThreadsTest {

    private final CountDownLatch healthy = new CountDownLatch(1);
    private final Set<Thread> checkThreads = ConcurrentHashMap.newKeySet();
    private final Lifecycle lifecycle = Lifecycle.builder()
                                                 .environment(Map.of())
                                                 .livenessCheck("db", () -> {
                                                     checkThreads.add(Thread.currentThread());
                                                     return healthy.await(20, TimeUnit.SECONDS);
                                                 })
                                                 .build();
    private TestServer server;

    @AfterEach
    void stop() throws InterruptedException {
        healthy.countDown();
        if (server != null) {
            server.close();
        }
    }

    @Test
    void sixBlockedProbesRunOnFourDaemonProbeThreadsAndTheOtherTwoWait() throws Exception {
        NettyLifecycle netty = NettyLifecycle.of(lifecycle);
        server = new TestServer(netty);
        lifecycle.start();
        ThreadPoolExecutor executor = (ThreadPoolExecutor) netty.probeExecutor;
        List<RawHttpConnection> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                RawHttpConnection client = new RawHttpConnection(server.port);
                clients.add(client);
                client.request("GET", "/health/live");
            }

            // Four checks block their threads; the two other probes wait in the executor's queue, no fifth thread.
            await().atMost(Duration.ofSeconds(10))
                   .until(() -> checkThreads.size() == 4 && executor.getQueue().size() == 2);
            assertThat(executor.getPoolSize()).isEqualTo(4);
            assertThat(checkThreads).extracting(Thread::getName)
                                    .containsExactlyInAnyOrder("lifecycle-probe-1", "lifecycle-probe-2",
                                                               "lifecycle-probe-3", "lifecycle-probe-4");
            assertThat(checkThreads).allSatisfy(thread -> assertThat(thread.isDaemon()).isTrue());

            healthy.countDown();
            for (RawHttpConnection client : clients) {
                assertThat(client.read().status()).isEqualTo(200);
            }
            assertThat(checkThreads).hasSize(4);
        } finally {
            for (RawHttpConnection client : clients) {
                client.close();
            }
        }
    }
}
