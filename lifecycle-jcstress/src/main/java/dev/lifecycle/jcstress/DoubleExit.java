package dev.lifecycle.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;

/**
 * Proves: a buggy adapter exiting the same request from two threads counts it out once; the other request stays
 * counted. Result: (count, count after the other request exits).
 */
@JCStressTest
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "Counted out once.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "Counted out twice or not at all.")
@State
public class DoubleExit {

    private final InflightTracker tracker = new InflightTracker(false);
    private final InflightRequest request = tracker.tryEnter();
    private final InflightRequest other = tracker.tryEnter();

    @Actor
    public void first() {
        request.exit();
    }

    @Actor
    public void second() {
        request.exit();
    }

    @Arbiter
    public void arbiter(JJ_Result r) {
        r.r1 = tracker.inflight();
        other.exit();
        r.r2 = tracker.inflight();
    }
}
