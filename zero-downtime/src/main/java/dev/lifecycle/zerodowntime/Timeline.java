package dev.lifecycle.zerodowntime;

import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;

/**
 * The one time axis of a run: milliseconds since its start, from {@link System#nanoTime()}. Wall-clock instants
 * (a ready-file's modification time) are mapped onto it through the wall clock read at the start, to within a
 * millisecond or so.
 */
final class Timeline {
    private final long originNanos;
    private final long originEpochMicros;

    Timeline() {
        this(System.nanoTime(), TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()));
    }

    /**
     * The timeline of another process on this machine: {@link System#nanoTime()} reads the same monotonic clock
     * ({@code CLOCK_MONOTONIC}) in every JVM of a Linux machine, so a child's records share its parent's axis.
     */
    Timeline(long originNanos, long originEpochMicros) {
        this.originNanos = originNanos;
        this.originEpochMicros = originEpochMicros;
    }

    long originNanos() {
        return originNanos;
    }

    long originEpochMicros() {
        return originEpochMicros;
    }

    double now() {
        return at(System.nanoTime());
    }

    double at(long nanoTime) {
        return (nanoTime - originNanos) / 1e6;
    }

    double at(FileTime wallClock) {
        return (wallClock.to(TimeUnit.MICROSECONDS) - originEpochMicros) / 1e3;
    }
}
