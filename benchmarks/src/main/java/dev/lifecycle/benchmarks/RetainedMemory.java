package dev.lifecycle.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;

/**
 * Retained heap per in-flight request, with and without request descriptions: admits N requests, keeps them in
 * flight, and divides the growth of the heap after GC by N. Usage:
 * {@code java -cp benchmarks.jar dev.lifecycle.benchmarks.RetainedMemory [requests]}.
 */
public final class RetainedMemory {

    private RetainedMemory() {
    }

    public static void main(String[] args) {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        System.out.println("| variant | requests in flight | retained bytes per request |");
        System.out.println("|---|---|---|");
        measure(false, requests); // warm-up: class loading and JIT garbage out of the way
        measure(true, requests);
        for (boolean describe : new boolean[] {false, true}) {
            double perRequest = measure(describe, requests);
            System.out.printf(Locale.ROOT, "| %s | %d | %.1f |%n",
                              describe ? "describeRequests(true)" : "describeRequests(false)", requests, perRequest);
        }
    }

    private static double measure(boolean describe, int requests) {
        String[] targets = new String[requests];
        for (int i = 0; i < requests; i++) {
            targets[i] = "/users/" + i; // the adapter's own strings: not counted against the tracker
        }
        List<InflightRequest> inflight = new ArrayList<>(requests);
        InflightTracker tracker = new InflightTracker(describe);
        long before = usedAfterGc();
        for (int i = 0; i < requests; i++) {
            inflight.add(tracker.tryEnter("GET", targets[i]));
        }
        long after = usedAfterGc();
        if (tracker.inflight() != requests) {
            throw new IllegalStateException("expected " + requests + " in flight");
        }
        // the adapter's strings and the list were there before and stay: keep them reachable past the measurement,
        // or the JIT lets the GC take them and the difference goes negative
        Reference.reachabilityFence(targets);
        double perRequest = (after - before) / (double) requests;
        inflight.forEach(InflightRequest::exit);
        Reference.reachabilityFence(inflight);
        return perRequest;
    }

    private static long usedAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
