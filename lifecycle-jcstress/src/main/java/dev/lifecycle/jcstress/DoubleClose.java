package dev.lifecycle.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;


import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZJ_Result;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;

/**
 * Proves: two concurrent shutdowns close admission once, with the last request exiting meanwhile: the drain
 * completes, the count is zero, and a later request is refused. Result: (drained, later request admitted, count).
 */
@JCStressTest
@Outcome(id = "true, false, 0", expect = ACCEPTABLE, desc = "Closed once, drained, later request refused.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "Anything else.")
@State
public class DoubleClose {

    private final InflightTracker tracker = new InflightTracker(false);
    private final InflightRequest request = tracker.tryEnter();

    @Actor
    public void firstShutdown() {
        tracker.close();
    }

    @Actor
    public void secondShutdown() {
        tracker.close();
    }

    @Actor
    public void lastRequest() {
        request.exit();
    }

    @Arbiter
    public void arbiter(ZZJ_Result r) {
        r.r1 = Drain.reported(tracker);
        r.r2 = tracker.tryEnter().admitted();
        r.r3 = tracker.inflight();
    }
}
