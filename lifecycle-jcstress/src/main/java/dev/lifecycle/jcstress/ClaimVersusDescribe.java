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
 * thread) never show the drain-timeout report a torn or foreign description, and leave the table exact. One actor
 * admits a request, one exits a request admitted before, one describes meanwhile. Result: (descriptions the
 * describing actor saw, each {@code GET /new} or {@code GET /old}, or -1 for anything else; descriptions after both
 * actors, 1 if exactly {@code GET /new}; the count after both).
 */
@JCStressTest
@Outcome(id = {"0, 1, 1", "1, 1, 1", "2, 1, 1"}, expect = ACCEPTABLE, desc = "Whatever the timing: only real requests.")
@Outcome(id = "-1, .*, .*", expect = FORBIDDEN, desc = "A torn or foreign description.")
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
    public void exit() {
        old.exit();
    }

    @Actor
    public void describe(III_Result r) {
        List<String> seen = tracker.describeOldest(10);
        int valid = 0;
        for (String description : seen) {
            if (description.startsWith("GET /new (age ") || description.startsWith("GET /old (age ")) {
                valid++;
            } else {
                r.r1 = -1;
                return;
            }
        }
        r.r1 = valid;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        List<String> left = tracker.describeOldest(10);
        r.r2 = left.size() == 1 && left.get(0).startsWith("GET /new (age ") ? 1 : 0;
        r.r3 = (int) tracker.inflight();
        admitted.exit();
    }
}
