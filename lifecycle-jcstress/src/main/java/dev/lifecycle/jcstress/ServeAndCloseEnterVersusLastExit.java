package dev.lifecycle.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZZZ_Result;

import dev.lifecycle.core.DrainPolicy;
import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;

/**
 * Proves, under {@link DrainPolicy#SERVE_AND_CLOSE}: during the drain (one request in flight), a request arriving
 * while the last one exits is either admitted (counted before the count reached zero, so the drain waits for it) or
 * refused (admission closed for good when the count reached zero); never admitted after the drain was reported; and
 * the drain is always reported once the admitted request, if any, exited. Result: (drain reported to the exiting
 * thread right after its exit, admitted, count seen by the arbiter is 1 if admitted else 0, drain reported once the
 * admitted request exited).
 */
@JCStressTest
@Outcome(id = "false, true, true, true", expect = ACCEPTABLE,
         desc = "Admitted before the last exit: served while draining; the drain completes at its exit.")
@Outcome(id = "true, false, true, true", expect = ACCEPTABLE,
         desc = "The last exit closed admission and reported the drain; refused.")
@Outcome(id = "false, false, true, true", expect = ACCEPTABLE_INTERESTING,
         desc = "Refused; the exiting thread checked the drain before the refused attempt took its one back.")
@Outcome(id = "true, true, .*, .*", expect = FORBIDDEN, desc = "Admitted although the drain reported zero.")
@Outcome(id = ".*, .*, false, .*", expect = FORBIDDEN, desc = "Count wrong: a refused request leaked, or negative.")
@Outcome(id = ".*, .*, .*, false", expect = FORBIDDEN, desc = "Drain never reported: shutdown would wait its bound.")
@State
public class ServeAndCloseEnterVersusLastExit {

    private final InflightTracker tracker = new InflightTracker(false, DrainPolicy.SERVE_AND_CLOSE);
    private final InflightRequest last = tracker.tryEnter();
    private InflightRequest request;

    public ServeAndCloseEnterVersusLastExit() {
        tracker.close(); // the drain begins with one request in flight: admission stays open until it exits
    }

    @Actor
    public void lastExit(ZZZZ_Result r) {
        last.exit();
        r.r1 = Drain.reported(tracker);
    }

    @Actor
    public void client(ZZZZ_Result r) {
        request = tracker.tryEnter();
        r.r2 = request.admitted();
    }

    @Arbiter
    public void arbiter(ZZZZ_Result r) {
        r.r3 = tracker.inflight() == (request.admitted() ? 1 : 0);
        request.exit(); // a no-op on the refused request
        r.r4 = Drain.reported(tracker);
    }
}
