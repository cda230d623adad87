package dev.lifecycle.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.List;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;

/**
 * Proves: the slot table's claim (a plain store by the stripe's owner) and release (a compare-and-set, from another
 * thread) never show the drain-timeout report a torn, foreign or exited description, and leave the table exact. One
 * actor admits a request; the other exits a request admitted before, then describes. (Two actors: jcstress skips
 * tests with more actors than the machine has CPUs.) Result: (how many {@code GET /new} the describing actor saw, or
 * -1 for anything else, such as the request it had just exited; 1 if exactly {@code GET /new} is described after
 * both actors; the count after both).
 */
@JCStressTest
@Outcome(id = {"0, 1, 1", "1, 1, 1"}, expect = ACCEPTABLE, desc = "The new request, seen or not yet; never the old.")
@Outcome(id = "-1, .*, .*", expect = FORBIDDEN, desc = "A torn or foreign description, or the exited request.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "The table lost the new request or kept the exited one; a bad count.")
@State
public class ClaimVersusDescribe {

    private final InflightTracker tracker = new InflightTracker(true);
    private final InflightRequest old = tracker.tryEnter("GET", "/old?token=1");
    private InflightRequest admitted;

    @Actor
    public void admit() {
        admitted = tracker.tryEnter("GET", "/new?token=2");
    }

    @Actor
    public void exitThenDescribe(III_Result r) {
        old.exit();
        int seen = 0;
        for (String description : tracker.describeOldest(10)) {
            if (!description.startsWith("GET /new (age ")) {
                r.r1 = -1;
                return;
            }
            seen++;
        }
        r.r1 = seen;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        List<String> left = tracker.describeOldest(10);
        r.r2 = left.size() == 1 && left.get(0).startsWith("GET /new (age ") ? 1 : 0;
        r.r3 = (int) tracker.inflight();
        admitted.exit();
    }
}
