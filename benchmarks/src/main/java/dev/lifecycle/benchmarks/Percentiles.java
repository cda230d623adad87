package dev.lifecycle.benchmarks;

import java.util.Arrays;
import java.util.Locale;

/** Percentiles of a sample of nanosecond figures, formatted in milliseconds. */
final class Percentiles {

    private final long[] sorted;

    Percentiles(long[] nanos) {
        sorted = nanos.clone();
        Arrays.sort(sorted);
    }

    double millis(double percentile) {
        int index = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }

    String row(String name) {
        return String.format(Locale.ROOT, "| %s | %d | %.3f | %.3f | %.3f | %.3f |", name, sorted.length, millis(50),
                             millis(90), millis(99), sorted[sorted.length - 1] / 1e6);
    }

    static String header() {
        return "| variant | runs | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---|---|---|---|";
    }
}
