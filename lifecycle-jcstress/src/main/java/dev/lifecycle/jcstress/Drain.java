package dev.lifecycle.jcstress;

import java.time.Duration;

import dev.lifecycle.core.InflightTracker;

/** Non-blocking drain checks for actors and arbiters, which may not throw checked exceptions. */
final class Drain {

    private Drain() {
    }

    static boolean reported(InflightTracker tracker) {
        try {
            return tracker.awaitDrained(Duration.ZERO);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean longLivedReported(InflightTracker tracker) {
        try {
            return tracker.awaitLongLivedDrained(Duration.ZERO);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
