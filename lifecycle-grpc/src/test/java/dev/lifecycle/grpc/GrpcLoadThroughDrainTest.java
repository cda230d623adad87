package dev.lifecycle.grpc;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import com.google.common.util.concurrent.ListenableFuture;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.State;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;

/**
 * Clients calling without pause on one long-lived channel while the replica they are connected to drains: no call
 * fails, the calls in flight are served by the draining replica, the later ones by the other replica.
 */
class GrpcLoadThroughDrainTest {

    private static final long TIMEOUT_SECONDS = 20;
    private static final int CLIENT_THREADS = 4;
    /** Calls after the drained replica stopped, per client thread: the load goes on elsewhere. */
    private static final int CALLS_AFTER_STOP = 50;

    @ParameterizedTest
    @EnumSource(Transport.class)
    void unaryLoadOnOneChannelLosesNoCallThroughTheDrain(Transport transport) throws Exception {
        List<AutoCloseable> cleanup = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENT_THREADS);
        try {
            Lifecycle lifecycleA = Lifecycle.builder().environment(Map.of())
                                            .drainTimeout(Duration.ofSeconds(TIMEOUT_SECONDS)).build();
            TestService a = new TestService("a");
            GrpcLifecycle grpcA = GrpcLifecycle.of(lifecycleA);
            Server serverA = transport.start(grpcA, a);
            cleanup.add(serverA::shutdownNow);
            grpcA.stopOnShutdown(serverA);
            lifecycleA.start();
            Lifecycle lifecycleB = Lifecycle.builder().environment(Map.of()).build();
            Server serverB = transport.start(GrpcLifecycle.of(lifecycleB), new TestService("b"));
            cleanup.add(serverB::shutdownNow);
            lifecycleB.start();
            ManagedChannel channel = transport.channel(serverA.getPort(), serverB.getPort());
            cleanup.add(channel::shutdownNow);

            Queue<Status> failures = new ConcurrentLinkedQueue<>();
            Map<String, AtomicInteger> servedBy = new ConcurrentHashMap<>();
            AtomicBoolean stopped = new AtomicBoolean();
            AtomicInteger afterStop = new AtomicInteger();
            List<Future<?>> loops = new ArrayList<>();
            for (int i = 0; i < CLIENT_THREADS; i++) {
                loops.add(clients.submit(() -> {
                    int callsAfterStop = 0;
                    while (callsAfterStop < CALLS_AFTER_STOP) {
                        boolean wasStopped = stopped.get();
                        try {
                            String replica = ClientCalls.blockingUnaryCall(
                                    channel, TestService.UNARY,
                                    CallOptions.DEFAULT.withDeadlineAfter(TIMEOUT_SECONDS, SECONDS), "hello");
                            servedBy.computeIfAbsent(replica, r -> new AtomicInteger()).incrementAndGet();
                        } catch (RuntimeException e) {
                            failures.add(Status.fromThrowable(e));
                        }
                        if (wasStopped) {
                            callsAfterStop++;
                            afterStop.incrementAndGet();
                        }
                    }
                }));
            }
            await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> servedBy.containsKey("a"));
            ListenableFuture<String> inFlight = ClientCalls.futureUnaryCall(
                    channel.newCall(TestService.UNARY, CallOptions.DEFAULT.withDeadlineAfter(TIMEOUT_SECONDS, SECONDS)),
                    "hold");
            await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> a.held.size() == 1);

            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(lifecycleA::shutdown);
            await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> servedBy.containsKey("b"));
            a.releaseHeld();
            shutdown.get(TIMEOUT_SECONDS, SECONDS);
            stopped.set(true);
            for (Future<?> loop : loops) {
                loop.get(TIMEOUT_SECONDS, SECONDS);
            }

            assertThat(failures).isEmpty();
            assertThat(inFlight.get(TIMEOUT_SECONDS, SECONDS)).isEqualTo("a");
            assertThat(lifecycleA.state()).isEqualTo(State.STOPPED);
            assertThat(afterStop.get()).isEqualTo(CLIENT_THREADS * CALLS_AFTER_STOP);
            // The calls that raced GOAWAY (a few, usually, under this load) were served, not refused.
            assertThat(lifecycleA.tracker().refused()).isZero();
        } finally {
            clients.shutdownNow();
            for (AutoCloseable c : cleanup) {
                c.close();
            }
        }
    }
}
