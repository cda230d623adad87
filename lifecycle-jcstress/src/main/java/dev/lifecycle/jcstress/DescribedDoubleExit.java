package dev.lifecycle.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJI_Result;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;

/**
 * Proves, for a described request (kept in the tracker's slot table, whose compare-and-set is the one-shot step): the
 * same request exited from two threads is counted out once and leaves the table; the other request stays counted and
 * described. Result: (count, count after the other request exits, descriptions left before that exit).
 */
@JCStressTest
@Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "Counted out once; only the other request is described.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "Counted out twice or not at all, or the table kept the exited one.")
@State
public class DescribedDoubleExit {

    private final InflightTracker tracker = new InflightTracker(true);
    private final InflightRequest request = tracker.tryEnter("GET", "/twice");
    private final InflightRequest other = tracker.tryEnter("GET", "/other");

    @Actor
    public void first() {
        request.exit();
    }

    @Actor
    public void second() {
        request.exit();
    }

    @Arbiter
    public void arbiter(JJI_Result r) {
        r.r1 = tracker.inflight();
        r.r3 = tracker.describeOldest(10).size();
        other.exit();
        r.r2 = tracker.inflight();
    }
}
