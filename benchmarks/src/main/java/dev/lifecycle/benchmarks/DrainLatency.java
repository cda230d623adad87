package dev.lifecycle.benchmarks;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;

/**
 * Drain latency: from the exit of the last in-flight request to the drain returning, for the lifecycle's
 * event-driven drain and for a 50 ms polling loop (the approach of Spring Boot's Tomcat shutdown), in one run.
 * Usage: {@code java -cp benchmarks.jar dev.lifecycle.benchmarks.DrainLatency [runs]}.
 */
public final class DrainLatency {

    private DrainLatency() {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int pollingRuns = Math.max(20, runs / 20);
        for (int i = 0; i < 200; i++) { // warm-up
            measure(false);
        }
        long[] eventDriven = new long[runs];
        for (int i = 0; i < runs; i++) {
            eventDriven[i] = measure(false);
        }
        long[] polling = new long[pollingRuns];
        for (int i = 0; i < pollingRuns; i++) {
            polling[i] = measure(true);
        }
        System.out.println(Percentiles.header());
        System.out.println(new Percentiles(eventDriven).row("lifecycle (event-driven)"));
        System.out.println(new Percentiles(polling).row("polling every 50 ms"));
    }

    private static long measure(boolean polling) throws InterruptedException {
        InflightTracker tracker = new InflightTracker(false);
        InflightRequest request = tracker.tryEnter();
        tracker.close();
        long[] woke = new long[1];
        Thread waiter = new Thread(() -> {
            try {
                if (polling) {
                    while (tracker.inflight() != 0) {
                        Thread.sleep(50); // the peers' approach, measured here on purpose
                    }
                } else {
                    tracker.awaitDrained(Duration.ofSeconds(10));
                }
                woke[0] = System.nanoTime();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();
        while (waiter.getState() != Thread.State.TIMED_WAITING) {
            LockSupport.parkNanos(10_000); // until the waiter is parked in its wait
        }
        if (polling) { // exit at a random phase of the polling period
            LockSupport.parkNanos((long) (Math.random() * 50_000_000L));
        }
        long exited = System.nanoTime();
        request.exit();
        waiter.join();
        return woke[0] - exited;
    }
}
