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
 * Proves, under {@link DrainPolicy#SERVE_AND_CLOSE} with nothing in flight: the close finds the count at zero and
 * closes admission for good at once; a request racing it is either admitted before (and the drain waits for it) or
 * refused; never admitted after the drain reported zero; the drain is always reported once the admitted request, if
 * any, exited. Result: as {@link EnterVersusClose}.
 */
@JCStressTest
@Outcome(id = "false, true, true, true", expect = ACCEPTABLE,
         desc = "Admitted before the close: the drain waits for it and completes on its exit.")
@Outcome(id = "true, false, true, true", expect = ACCEPTABLE, desc = "Refused after the close; drained.")
@Outcome(id = "false, false, true, true", expect = ACCEPTABLE_INTERESTING,
         desc = "Refused; the closer checked the drain before the refused attempt took its one back, and taking it "
                + "back completed the drain.")
@Outcome(id = "true, true, .*, .*", expect = FORBIDDEN, desc = "Admitted although the drain reported zero.")
@Outcome(id = ".*, .*, false, .*", expect = FORBIDDEN, desc = "Count wrong: a refused request leaked, or negative.")
@Outcome(id = ".*, .*, .*, false", expect = FORBIDDEN,
         desc = "Drain never reported: a refusal or exit path forgot to complete it.")
@State
public class ServeAndCloseEnterVersusClose {

    private final InflightTracker tracker = new InflightTracker(false, DrainPolicy.SERVE_AND_CLOSE);
    private InflightRequest request;

    @Actor
    public void closer(ZZZZ_Result r) {
        tracker.close();
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
