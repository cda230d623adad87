package dev.lifecycle.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;


import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IZZ_Result;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;

/**
 * Proves: a request marked long-lived while admission closes is told to end exactly once, moves out of the main
 * count (the main drain completes), and stays in the long-lived count until it exits. Result: (drain signals,
 * main drained, long-lived drained before its exit).
 */
@JCStressTest
@Outcome(id = "1, true, false", expect = ACCEPTABLE, desc = "Signalled once; main drained; stream still counted.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "Lost or double signal, or wrong count.")
@State
public class LongLivedVersusClose {

    private final InflightTracker tracker = new InflightTracker(false);
    private final InflightRequest stream = tracker.tryEnter();
    private int signals;

    @Actor
    public void mark() {
        stream.markLongLived(() -> signals++);
    }

    @Actor
    public void close() {
        tracker.close();
    }

    @Arbiter
    public void arbiter(IZZ_Result r) {
        r.r1 = signals;
        r.r2 = Drain.reported(tracker);
        r.r3 = Drain.longLivedReported(tracker);
    }
}
