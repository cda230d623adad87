package dev.lifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The tracker's cells: while admission is open each thread counts in a cell of its own, and the close seals the cells
 * and moves their counts to the admission word. The races themselves are in the jcstress tests
 * ({@code CellsVersusClose} and the other admission tests); these check the bookkeeping across threads.
 */
class AdmissionCellsTest {

    private static final Duration LONG = Duration.ofSeconds(10);
    private static final int THREADS = 16;

    @Test
    void requestsAdmittedOnManyThreadsAreCountedInManyCellsAndTheDrainWaitsForEachOfThem() throws Exception {
        InflightTracker tracker = new InflightTracker(false);
        List<InflightRequest> requests = admitOnThreads(tracker, THREADS);
        assertThat(requests).allMatch(InflightRequest::admitted);
        assertThat(requests.stream().map(InflightRequest::cell).distinct().count())
                .as("threads counted in several cells, not all in one")
                .isGreaterThan(1);
        assertThat(tracker.inflight()).isEqualTo(THREADS);

        tracker.close();
        assertThat(tracker.inflight()).isEqualTo(THREADS);
        for (int i = 0; i < THREADS; i++) {
            assertThat(tracker.awaitDrained(Duration.ZERO)).as("drained with %d still in flight", THREADS - i)
                    .isFalse();
            requests.get(i).exit(); // on this thread, not the one that admitted it; its cell is sealed by now
            assertThat(tracker.inflight()).isEqualTo(THREADS - i - 1L);
        }
        assertThat(tracker.awaitDrained(LONG)).isTrue();
        assertThat(tracker.tryEnter().admitted()).isFalse();
    }

    @Test
    void requestsThatExitBeforeTheDrainBeginsLeaveNothingForTheCloseToMove() throws Exception {
        InflightTracker tracker = new InflightTracker(false);
        List<InflightRequest> requests = admitOnThreads(tracker, THREADS);
        requests.forEach(InflightRequest::exit);
        assertThat(tracker.inflight()).isZero();

        tracker.close();
        assertThat(tracker.awaitDrained(Duration.ZERO)).isTrue();
        assertThat(tracker.inflight()).isZero();
    }

    @Test
    void underServeAndCloseRequestsAdmittedDuringTheDrainAreCountedInTheWordWithThoseMovedFromTheCells()
            throws Exception {
        InflightTracker tracker = new InflightTracker(false, DrainPolicy.SERVE_AND_CLOSE);
        List<InflightRequest> before = admitOnThreads(tracker, THREADS);
        tracker.close();

        List<InflightRequest> during = admitOnThreads(tracker, THREADS);
        assertThat(during).allMatch(InflightRequest::admitted);
        assertThat(tracker.servedWhileDraining()).isEqualTo(THREADS);
        assertThat(tracker.inflight()).isEqualTo(2L * THREADS);

        before.forEach(InflightRequest::exit);
        assertThat(tracker.awaitDrained(Duration.ZERO)).isFalse();
        during.forEach(InflightRequest::exit);
        assertThat(tracker.awaitDrained(LONG)).isTrue();
        assertThat(tracker.tryEnter().admitted()).isFalse();
    }

    @Test
    void aTrackerClosedBeforeItOpenedStaysClosedWhenTheOpeningComesLate() throws Exception {
        InflightTracker tracker = new InflightTracker(false, System::nanoTime, false);
        tracker.close();
        tracker.open(); // startup finished while the shutdown had begun already

        assertThat(admitOnThreads(tracker, THREADS)).noneMatch(InflightRequest::admitted);
        assertThat(tracker.inflight()).isZero();
        assertThat(tracker.awaitDrained(Duration.ZERO)).isTrue();
    }

    @Test
    void cellsAreAPowerOfTwoBetweenFourAndSixtyFour() {
        assertThat(InflightTracker.cellCount(1)).isEqualTo(4);
        assertThat(InflightTracker.cellCount(2)).isEqualTo(8);
        assertThat(InflightTracker.cellCount(3)).isEqualTo(16);
        assertThat(InflightTracker.cellCount(16)).isEqualTo(64);
        assertThat(InflightTracker.cellCount(512)).isEqualTo(64);
    }

    /** Admits one request on each of {@code threads} threads, all alive at once so that none reuses another's id. */
    private static List<InflightRequest> admitOnThreads(InflightTracker tracker, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch allAlive = new CountDownLatch(threads);
            Set<Thread> seen = ConcurrentHashMap.newKeySet();
            List<Future<InflightRequest>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(() -> {
                    seen.add(Thread.currentThread());
                    allAlive.countDown();
                    assertThat(allAlive.await(10, TimeUnit.SECONDS)).isTrue();
                    return tracker.tryEnter("GET", "/");
                }));
            }
            List<InflightRequest> requests = new ArrayList<>();
            for (Future<InflightRequest> future : futures) {
                requests.add(future.get(10, TimeUnit.SECONDS));
            }
            assertThat(seen).hasSize(threads);
            return requests;
        } finally {
            pool.shutdownNow();
        }
    }
}
