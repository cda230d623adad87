package dev.lifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class DrainPolicyTest {

    private static final Duration LONG = Duration.ofSeconds(10);

    @Test
    void serveAndCloseAdmitsDuringTheDrainUntilNothingIsInFlight() throws Exception {
        InflightTracker tracker = new InflightTracker(false, DrainPolicy.SERVE_AND_CLOSE);
        InflightRequest slow = tracker.tryEnter();
        AtomicInteger listenerRuns = new AtomicInteger();
        tracker.onClose(listenerRuns::incrementAndGet);

        tracker.close();
        assertThat(tracker.isDraining()).isTrue();
        assertThat(tracker.isClosed()).isFalse();
        assertThat(listenerRuns).hasValue(1);

        // A pooled client's idle connection brings a request during the drain: served, not refused.
        InflightRequest late = tracker.tryEnter();
        assertThat(late.admitted()).isTrue();
        assertThat(tracker.servedWhileDraining()).isEqualTo(1);
        slow.exit();
        assertThat(tracker.awaitDrained(Duration.ZERO)).isFalse();
        assertThat(tracker.isClosed()).isFalse();

        late.exit();
        assertThat(tracker.awaitDrained(Duration.ZERO)).isTrue();
        assertThat(tracker.isClosed()).isTrue();
        assertThat(tracker.tryEnter()).isSameAs(InflightRequest.REFUSED);
        assertThat(tracker.refused()).isEqualTo(1);
    }

    @Test
    void serveAndCloseWithNothingInFlightClosesAtOnce() throws Exception {
        InflightTracker tracker = new InflightTracker(true, DrainPolicy.SERVE_AND_CLOSE);
        tracker.close();
        assertThat(tracker.isClosed()).isTrue();
        assertThat(tracker.awaitDrained(Duration.ZERO)).isTrue();
        assertThat(tracker.tryEnter("GET", "/")).isSameAs(InflightRequest.REFUSED);
    }

    @Test
    void serveAndCloseDuringStartupClosesAtOnceWithoutEverAdmitting() throws Exception {
        InflightTracker tracker = new InflightTracker(false, System::nanoTime, false, DrainPolicy.SERVE_AND_CLOSE);
        assertThat(tracker.tryEnter()).isSameAs(InflightRequest.REFUSED);
        tracker.close();
        assertThat(tracker.awaitDrained(Duration.ZERO)).isTrue();
        assertThat(tracker.tryEnter()).isSameAs(InflightRequest.REFUSED);
        assertThat(tracker.servedWhileDraining()).isZero();
    }

    @Test
    void rejectClosesAdmissionWhenTheDrainBegins() throws Exception {
        InflightTracker tracker = new InflightTracker(false, DrainPolicy.REJECT_503);
        InflightRequest slow = tracker.tryEnter();
        tracker.close();
        assertThat(tracker.isDraining()).isTrue();
        assertThat(tracker.isClosed()).isTrue();
        assertThat(tracker.tryEnter()).isSameAs(InflightRequest.REFUSED);
        slow.exit();
        assertThat(tracker.awaitDrained(Duration.ZERO)).isTrue();
    }

    /**
     * Many threads enter and exit while the drain begins: every admission exits, the drain is reported exactly when
     * the count reaches zero for good, and nothing is admitted after it was reported.
     */
    @Test
    void serveAndCloseNeverAdmitsAfterTheDrainWasReported() throws Exception {
        for (int round = 0; round < 200; round++) {
            InflightTracker tracker = new InflightTracker(false, DrainPolicy.SERVE_AND_CLOSE);
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger admittedAfterDrained = new AtomicInteger();
            CompletableFuture<?>[] workers = new CompletableFuture<?>[3];
            for (int w = 0; w < workers.length; w++) {
                workers[w] = CompletableFuture.runAsync(() -> {
                    awaitQuietly(go);
                    for (int i = 0; i < 2_000; i++) {
                        InflightRequest request = tracker.tryEnter();
                        if (!request.admitted()) {
                            return;
                        }
                        if (isDrained(tracker)) {
                            admittedAfterDrained.incrementAndGet();
                        }
                        request.exit();
                    }
                });
            }
            go.countDown();
            tracker.close();
            for (CompletableFuture<?> worker : workers) {
                worker.get(10, TimeUnit.SECONDS);
            }
            // Every worker either finished its loop or was refused: the drain must have been reported by now.
            assertThat(tracker.awaitDrained(LONG)).isTrue();
            assertThat(tracker.inflight()).isZero();
            assertThat(admittedAfterDrained).hasValue(0);
        }
    }

    private static boolean isDrained(InflightTracker tracker) {
        try {
            return tracker.awaitDrained(Duration.ZERO);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void lifecycleServesDuringTheDrainByDefaultAndReportsIt() throws Exception {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();
        assertThat(lifecycle.drainPolicy()).isEqualTo(DrainPolicy.SERVE_AND_CLOSE);
        lifecycle.start();
        InflightRequest slow = lifecycle.tracker().tryEnter("GET", "/slow");
        lifecycle.tracker().onClose(() -> lifecycle.connections().closedIdle(3));
        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(lifecycle::shutdown);
        org.awaitility.Awaitility.await().atMost(LONG).until(lifecycle.tracker()::isDraining);

        InflightRequest late = lifecycle.tracker().tryEnter("POST", "/users");
        assertThat(late.admitted()).isTrue();
        lifecycle.connections().closedAfterResponse();
        late.exit();
        assertThat(shutdown).isNotDone();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new LifecycleMetrics(lifecycle).bindTo(registry);
        slow.exit();
        shutdown.get(10, TimeUnit.SECONDS);

        assertThat(registry.get("lifecycle.requests.served.draining").functionCounter().count()).isEqualTo(1);
        assertThat(registry.get("lifecycle.connections.closed").tag("reason", "idle").functionCounter().count())
                .isEqualTo(3);
        assertThat(registry.get("lifecycle.connections.closed").tag("reason", "after_response").functionCounter()
                           .count()).isEqualTo(1);
        assertThat(lifecycle.tracker().tryEnter()).isSameAs(InflightRequest.REFUSED);
    }

    @ParameterizedTest
    @CsvSource({
            "serve-and-close, SERVE_AND_CLOSE",
            "reject-503, REJECT_503",
            "' Reject-429 ', REJECT_429",
    })
    void theEnvironmentChoosesThePolicy(String value, DrainPolicy expected) {
        Lifecycle lifecycle = Lifecycle.builder().drainPolicy(DrainPolicy.REJECT_503)
                                       .environment(Map.of("LIFECYCLE_DRAIN_POLICY", value)).build();
        assertThat(lifecycle.drainPolicy()).isEqualTo(expected);
    }

    @Test
    void aBadPolicyFailsTheBuildNamingVariableValueAndChoices() {
        assertThatThrownBy(() -> Lifecycle.builder().environment(Map.of("LIFECYCLE_DRAIN_POLICY", "serve")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("LIFECYCLE_DRAIN_POLICY: 'serve' (expected: serve-and-close, reject-503 or reject-429)");
        assertThatThrownBy(() -> Lifecycle.builder().drainPolicy(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("drainPolicy cannot be null");
    }

    @Test
    void refusalsSay503StartingThenShuttingDownOr429() throws Exception {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).retryAfter(Duration.ofMillis(1500))
                                       .drainPolicy(DrainPolicy.REJECT_429).build();
        LocalResponse starting = lifecycle.refusal();
        assertThat(starting.status()).isEqualTo(503);
        assertThat(starting.headers()).containsEntry("Retry-After", "2")
                                      .containsEntry("Content-Type", "text/plain;charset=utf-8")
                                      .doesNotContainKey("Connection");
        assertThat(new String(starting.body(), StandardCharsets.UTF_8))
                .isEqualTo("Service Unavailable: starting\n");
        assertThat(starting.contentLength()).isEqualTo(starting.body().length);
        assertThat(starting.closeConnection()).isTrue();

        lifecycle.start();
        lifecycle.shutdown();
        LocalResponse draining = lifecycle.refusal();
        assertThat(draining.status()).isEqualTo(429);
        assertThat(draining.reasonPhrase()).isEqualTo("Too Many Requests");
        assertThat(new String(draining.body(), StandardCharsets.UTF_8))
                .isEqualTo("Too Many Requests: shutting down\n");
        assertThat(draining.closeConnection()).isTrue();
    }

    @Test
    void probeResponsesCarryTheHealthJsonAndCloseWhileDraining() throws Exception {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();
        LocalResponse notReady = lifecycle.probeResponse(Probe.READINESS, false);
        assertThat(notReady.status()).isEqualTo(503);
        assertThat(notReady.headers()).containsEntry("Content-Type", "application/json")
                                      .containsEntry("Cache-Control", "no-store");
        assertThat(new String(notReady.body(), StandardCharsets.UTF_8))
                .isEqualTo(lifecycle.health(Probe.READINESS).toJson(Probe.READINESS, false));
        assertThat(notReady.closeConnection()).isFalse();
        assertThat(lifecycle.probeResponse(Probe.LIVENESS, false).status()).isEqualTo(200);

        lifecycle.start();
        assertThat(lifecycle.probeResponse(Probe.READINESS, false).status()).isEqualTo(200);
        lifecycle.shutdown();
        LocalResponse stopped = lifecycle.probeResponse(Probe.READINESS, false);
        assertThat(stopped.status()).isEqualTo(503);
        assertThat(stopped.closeConnection()).isTrue();

        LocalResponse notAllowed = LocalResponse.probeMethodNotAllowed();
        assertThat(notAllowed.status()).isEqualTo(405);
        assertThat(notAllowed.headers()).containsEntry("Allow", "GET, HEAD");
        assertThat(notAllowed.contentLength()).isZero();
    }

    @Test
    void connectionStatsRejectANegativeCount() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();
        assertThatThrownBy(() -> lifecycle.connections().closedIdle(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("count: -1 (expected: >= 0)");
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
