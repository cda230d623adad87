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

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;

/**
 * Proves: a request racing the close is either admitted and counted (so the drain cannot report zero while it is
 * open), or refused; never admitted after the drain reported zero; and, either way, the drain is reported once the
 * admitted request (if any) has exited: a refusal that takes its one back last completes the drain itself. Result:
 * (drain reported to the closer right after close, admitted, count seen by the arbiter is 1 if admitted else 0, drain
 * reported once the admitted request exited).
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
public class EnterVersusClose {

    private final InflightTracker tracker = new InflightTracker(false);
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
