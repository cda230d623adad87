package dev.lifecycle.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;


import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZJ_Result;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;

/**
 * Proves: the last request exiting while admission closes always completes the drain, whichever comes first; no
 * lost wake-up, no negative count. Result: (drained, count), seen by the arbiter after both actors.
 */
@JCStressTest
@Outcome(id = "true, 0", expect = ACCEPTABLE, desc = "Drained.")
@Outcome(id = "false, .*", expect = FORBIDDEN, desc = "Lost wake-up: the drain never completes.")
@Outcome(id = ".*, -.*", expect = FORBIDDEN, desc = "Negative count.")
@State
public class ExitVersusClose {

    private final InflightTracker tracker = new InflightTracker(false);
    private final InflightRequest request = tracker.tryEnter();

    @Actor
    public void exit() {
        request.exit();
    }

    @Actor
    public void close() {
        tracker.close();
    }

    @Arbiter
    public void arbiter(ZJ_Result r) {
        r.r1 = Drain.reported(tracker);
        r.r2 = tracker.inflight();
    }
}
