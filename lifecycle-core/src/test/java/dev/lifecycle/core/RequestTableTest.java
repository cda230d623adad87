package dev.lifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** The slot table that keeps described requests, and the coarse clock that stamps them. */
class RequestTableTest {

    private static InflightTracker describing() {
        return new InflightTracker(true, () -> 1_000_000L, true); // a still clock: age 0.0 s
    }

    @Test
    void describesEveryRequestOfAThreadWithMoreInFlightThanAChunkHolds() {
        InflightTracker tracker = describing();
        List<InflightRequest> requests = new ArrayList<>();
        for (int i = 0; i < 10 * RequestTable.CHUNK + 3; i++) {
            requests.add(tracker.tryEnter("GET", "/r/" + i + "?secret=1"));
        }
        List<String> described = tracker.describeOldest(Integer.MAX_VALUE);
        assertThat(described).hasSize(requests.size()).allMatch(d -> d.startsWith("GET /r/") && !d.contains("secret"));

        requests.forEach(InflightRequest::exit);
        assertThat(tracker.inflight()).isZero();
        assertThat(tracker.describeOldest(Integer.MAX_VALUE)).isEmpty();
    }

    @Test
    void aSlowRequestStaysDescribedWhileManyOthersComeAndGo() {
        InflightTracker tracker = describing();
        InflightRequest slow = tracker.tryEnter("POST", "/upload");
        for (int i = 0; i < 100 * RequestTable.CHUNK; i++) {
            tracker.tryEnter("GET", "/fast").exit();
        }
        assertThat(tracker.describeOldest(10)).containsExactly("POST /upload (age 0.0 s)");
        slow.exit();
        assertThat(tracker.describeOldest(10)).isEmpty();
        assertThat(tracker.inflight()).isZero();
    }

    @Test
    void aRequestExitedOnAnotherThreadLeavesItsSlot() throws Exception {
        InflightTracker tracker = describing();
        InflightRequest request = tracker.tryEnter("GET", "/async");
        CompletableFuture.runAsync(request::exit).get(10, TimeUnit.SECONDS);
        assertThat(request.isDone()).isTrue();
        assertThat(tracker.inflight()).isZero();
        assertThat(tracker.describeOldest(10)).isEmpty();
    }

    @Test
    void aThreadWithoutAStripeHasItsRequestsDescribedFromTheFallbackSet() throws Exception {
        RequestTable table = new RequestTable(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch claimed = new CountDownLatch(1);
        Thread owner = new Thread(() -> {
            table.claim(new InflightRequest.Described(null, "GET", "/owner", 0L));
            claimed.countDown();
            awaitQuietly(release);
        });
        owner.start();
        try {
            assertThat(claimed.await(10, TimeUnit.SECONDS)).isTrue();
            // one stripe, owned by a live thread: no stripe for this one
            assertThat(table.claim(new InflightRequest.Described(null, "GET", "/other", 0L))).isFalse();
        } finally {
            release.countDown();
            owner.join(10_000);
        }
        // the owner has terminated: its stripe goes to the next thread, its request stays listed
        InflightRequest.Described next = new InflightRequest.Described(null, "GET", "/next", 0L);
        assertThat(table.claim(next)).isTrue();
        List<InflightRequest> listed = new ArrayList<>();
        table.addTo(listed);
        assertThat(listed).extracting(InflightRequest::target).containsExactlyInAnyOrder("/owner", "/next");
    }

    @Test
    void requestsOfThreadsWithoutAStripeAreCountedAndDescribed() throws Exception {
        // more threads with a request in flight than the table has stripes: the rest go to the fallback set
        InflightTracker tracker = describing();
        int threads = 300;
        CountDownLatch admitted = new CountDownLatch(threads);
        CountDownLatch release = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            String target = "/t/" + i;
            Thread thread = new Thread(() -> {
                InflightRequest request = tracker.tryEnter("GET", target);
                admitted.countDown();
                awaitQuietly(release);
                request.exit();
            });
            thread.start();
            started.add(thread);
        }
        try {
            assertThat(admitted.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(tracker.inflight()).isEqualTo(threads);
            assertThat(tracker.describeOldest(Integer.MAX_VALUE)).hasSize(threads);
        } finally {
            release.countDown();
            for (Thread thread : started) {
                thread.join(10_000);
            }
        }
        assertThat(tracker.inflight()).isZero();
        assertThat(tracker.describeOldest(Integer.MAX_VALUE)).isEmpty();
    }

    @Test
    void aDescribedRequestMarkedLongLivedLeavesTheTableAndIsCountedOutOnce() {
        InflightTracker tracker = describing();
        InflightRequest stream = tracker.tryEnter("GET", "/events");
        stream.markLongLived(null);
        assertThat(tracker.inflight()).isZero();
        assertThat(tracker.longLived()).isEqualTo(1);
        assertThat(tracker.describeOldest(10)).containsExactly("GET /events [long-lived] (age 0.0 s)");
        stream.exit();
        stream.exit();
        stream.markLongLived(null);
        assertThat(tracker.longLived()).isZero();
        assertThat(tracker.inflight()).isZero();
        assertThat(tracker.describeOldest(10)).isEmpty();

        InflightRequest exited = tracker.tryEnter("GET", "/done");
        exited.exit();
        exited.markLongLived(null);
        assertThat(tracker.longLived()).isZero();
        assertThat(tracker.inflight()).isZero();
    }

    @Test
    void concurrentExitAndMarkLongLivedOfADescribedRequestCountOnce() throws Exception {
        InflightTracker tracker = describing();
        for (int i = 0; i < 2_000; i++) {
            InflightRequest request = tracker.tryEnter("GET", "/race");
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<Void> other = CompletableFuture.runAsync(() -> {
                awaitQuietly(go);
                request.markLongLived(null);
            });
            go.countDown();
            request.exit();
            other.get(10, TimeUnit.SECONDS);
            assertThat(tracker.inflight()).isZero();
            assertThat(tracker.longLived()).isZero();
        }
        assertThat(tracker.describeOldest(10)).isEmpty();
    }

    @Test
    void concurrentDoubleExitOfADescribedRequestCountsOnce() throws Exception {
        InflightTracker tracker = describing();
        InflightRequest other = tracker.tryEnter("GET", "/other");
        for (int i = 0; i < 2_000; i++) {
            InflightRequest request = tracker.tryEnter("GET", "/race");
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<Void> second = CompletableFuture.runAsync(() -> {
                awaitQuietly(go);
                request.exit();
            });
            go.countDown();
            request.exit();
            second.get(10, TimeUnit.SECONDS);
            assertThat(tracker.inflight()).isEqualTo(1);
        }
        other.exit();
        assertThat(tracker.inflight()).isZero();
    }

    @Test
    void theRequestClockTicksFromReadyToTheEndOfTheDrain() {
        Lifecycle lifecycle = Lifecycle.builder().preStopDelay(Duration.ZERO).build();
        RequestClock clock = lifecycle.requestClock();
        assertThat(clock).isNotNull();
        assertThat(clock.thread()).isNull();

        lifecycle.start();
        Thread thread = clock.thread();
        assertThat(thread).isNotNull();
        assertThat(thread.isDaemon()).isTrue();
        long first = clock.getAsLong();
        await().atMost(Duration.ofSeconds(10)).until(() -> clock.getAsLong() != first);
        InflightRequest request = lifecycle.tracker().tryEnter("GET", "/a");
        assertThat(lifecycle.tracker().describeOldest(1)).singleElement().asString().startsWith("GET /a (age ");
        request.exit();

        lifecycle.shutdown();
        assertThat(clock.thread()).isNull();
        assertThat(thread.isAlive()).isFalse();
    }

    @Test
    void noRequestClockWithoutDescriptions() {
        Lifecycle lifecycle = Lifecycle.builder().describeRequests(false).preStopDelay(Duration.ZERO).build();
        assertThat(lifecycle.requestClock()).isNull();
        lifecycle.start();
        lifecycle.shutdown();
    }

    @Test
    void theRequestClockThreadEndsWhenItsClockIsDroppedWithoutAStop() {
        AtomicReference<Thread> thread = new AtomicReference<>();
        WeakReference<RequestClock> dropped = startAndDrop(thread);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            System.gc();
            return dropped.get() == null && !thread.get().isAlive();
        });
    }

    private static WeakReference<RequestClock> startAndDrop(AtomicReference<Thread> thread) {
        RequestClock clock = new RequestClock("request-clock-test");
        clock.start();
        thread.set(clock.thread());
        return new WeakReference<>(clock);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
