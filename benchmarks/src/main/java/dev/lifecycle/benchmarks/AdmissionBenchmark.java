package dev.lifecycle.benchmarks;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongUnaryOperator;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;

/**
 * Admission plus release of one request: the lifecycle tracker (with and without request descriptions) side by side
 * with a bare {@link AtomicLong}, a {@link LongAdder}, and the packed flag-plus-count CAS loop of Undertow's
 * {@code GracefulShutdownHandler}, re-written here because Undertow's admission needs a live exchange. Run with
 * {@code -t 1} and {@code -t 2}. The trackers are those of started {@link Lifecycle}s, as adapters use them.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// A fixed, pre-touched heap: without it, an iteration that allocates into young-generation pages never touched before
// pays a page fault per 4 KiB (seen with the parallel collector: iterations alternating between 24 and 89 ns/op).
@Fork(value = 1, jvmArgsAppend = {"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Xms1g", "-Xmx1g",
                                  "-XX:+AlwaysPreTouch"})
@State(Scope.Benchmark)
public class AdmissionBenchmark {

    private final AtomicLong atomicLong = new AtomicLong();
    private final LongAdder longAdder = new LongAdder();
    private final UndertowPackedCounter packed = new UndertowPackedCounter();
    // Trackers of started lifecycles, as adapters get them: with descriptions, the lifecycle's coarse request clock
    // stamps each request (a tracker built alone would read System.nanoTime()).
    private Lifecycle lifecycle;
    private Lifecycle describingLifecycle;
    private InflightTracker tracker;
    private InflightTracker describingTracker;

    @Setup
    public void start() {
        lifecycle = Lifecycle.builder().describeRequests(false).preStopDelay(Duration.ZERO).build();
        lifecycle.start();
        tracker = lifecycle.tracker();
        describingLifecycle = Lifecycle.builder().preStopDelay(Duration.ZERO).build();
        describingLifecycle.start();
        describingTracker = describingLifecycle.tracker();
    }

    @TearDown
    public void stop() {
        lifecycle.shutdown();
        describingLifecycle.shutdown();
    }

    @Benchmark
    public long atomicLong() {
        atomicLong.incrementAndGet();
        return atomicLong.decrementAndGet();
    }

    @Benchmark
    public long longAdder() {
        longAdder.increment();
        longAdder.decrement();
        return 0L;
    }

    @Benchmark
    public boolean undertowPackedCas() {
        boolean admitted = packed.tryEnter();
        if (admitted) {
            packed.exit();
        }
        return admitted;
    }

    @Benchmark
    public boolean lifecycleTracker() {
        InflightRequest request = tracker.tryEnter("GET", "/users/42");
        request.exit();
        return request.admitted();
    }

    @Benchmark
    public boolean lifecycleTrackerDescribed() {
        InflightRequest request = describingTracker.tryEnter("GET", "/users/42");
        request.exit();
        return request.admitted();
    }

    /**
     * The admission scheme of Undertow's {@code GracefulShutdownHandler} (2.3.20), copied in its logic: a shutdown bit
     * and the active count in one {@code long}, both changed by {@code updateAndGet} (a compare-and-set loop); a
     * request that finds the bit set takes its increment back. Undertow's own handler cannot be driven without a live
     * exchange, hence the copy.
     */
    static final class UndertowPackedCounter {
        private static final long SHUTDOWN_MASK = 1L << 63;
        private static final long ACTIVE_COUNT_MASK = (1L << 63) - 1;
        private static final LongUnaryOperator INCREMENT_ACTIVE =
                current -> ((current & ACTIVE_COUNT_MASK) + 1) | (current & ~ACTIVE_COUNT_MASK);
        private static final LongUnaryOperator DECREMENT_ACTIVE =
                current -> ((current & ACTIVE_COUNT_MASK) - 1) | (current & ~ACTIVE_COUNT_MASK);
        private static final AtomicLongFieldUpdater<UndertowPackedCounter> STATE =
                AtomicLongFieldUpdater.newUpdater(UndertowPackedCounter.class, "state");

        @SuppressWarnings("unused") // accessed through STATE
        private volatile long state;

        boolean tryEnter() {
            long snapshot = STATE.updateAndGet(this, INCREMENT_ACTIVE);
            if ((snapshot & SHUTDOWN_MASK) != 0) {
                exit();
                return false;
            }
            return true;
        }

        void exit() {
            long snapshot = STATE.updateAndGet(this, DECREMENT_ACTIVE);
            if (snapshot == SHUTDOWN_MASK) {
                synchronized (this) {
                    notifyAll();
                }
            }
        }
    }
}
