package dev.lifecycle.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZZ_Result;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;

/**
 * Proves: two concurrent shutdowns close admission once; the drain waits for the request in flight, completes when
 * it exits, and a later request is refused. Result: (drained before the exit, drained after, later request admitted).
 */
@JCStressTest
@Outcome(id = "false, true, false", expect = ACCEPTABLE, desc = "Closed once, drained on the exit, later refused.")
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

    @Arbiter
    public void arbiter(ZZZ_Result r) {
        r.r1 = Drain.reported(tracker);
        request.exit();
        r.r2 = Drain.reported(tracker);
        r.r3 = tracker.tryEnter().admitted();
    }
}
