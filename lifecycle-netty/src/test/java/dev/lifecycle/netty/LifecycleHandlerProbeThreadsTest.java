package dev.lifecycle.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lifecycle.core.Lifecycle;

/**
 * The README's promise: without {@code probeExecutor}, health checks run on up to 4 daemon {@code lifecycle-probe-N}
 * threads.
 */
class LifecycleHandlerProbeThreadsTest {

    private final CountDownLatch release = new CountDownLatch(1);
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();

    @AfterEach
    void stop() {
        release.countDown();
    }

    // The probes' work (health checks are cached and bounded by lifecycle-core) is submitted to this executor; six
    // tasks that block show its bound directly, whatever the checks' caching does.
    @Test
    void sixBlockedProbeTasksRunOnFourDaemonProbeThreadsAndTheOtherTwoWait() throws Exception {
        NettyLifecycle netty = NettyLifecycle.of(lifecycle);
        ThreadPoolExecutor executor = (ThreadPoolExecutor) netty.probeExecutor;
        CountDownLatch ran = new CountDownLatch(6);
        for (int i = 0; i < 6; i++) {
            netty.probeExecutor.execute(() -> {
                threads.add(Thread.currentThread());
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                ran.countDown();
            });
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> threads.size() == 4 && executor.getQueue().size() == 2);
        assertThat(executor.getPoolSize()).isEqualTo(4);
        assertThat(threads).extracting(Thread::getName)
                           .containsExactlyInAnyOrder("lifecycle-probe-1", "lifecycle-probe-2", "lifecycle-probe-3",
                                                      "lifecycle-probe-4");
        assertThat(threads).allSatisfy(thread -> assertThat(thread.isDaemon()).isTrue());

        release.countDown();
        assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(threads).hasSize(4);
        executor.shutdownNow();
    }
}
