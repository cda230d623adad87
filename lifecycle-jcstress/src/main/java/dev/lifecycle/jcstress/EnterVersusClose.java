package dev.lifecycle.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;


import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZJ_Result;

import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.InflightRequest;

/**
 * Proves: a request racing the close is either admitted and counted (so the drain cannot report zero while it is
 * open), or refused; never admitted after the drain reported zero. Result: (drain reported zero, admitted, count
 * seen by the arbiter).
 */
@JCStressTest
@Outcome(id = "false, true, 1", expect = ACCEPTABLE, desc = "Admitted before the close: the drain waits for it.")
@Outcome(id = "true, false, 0", expect = ACCEPTABLE, desc = "Refused after the close; drained.")
@Outcome(id = "false, false, 0", expect = ACCEPTABLE_INTERESTING,
         desc = "Refused; the drain was checked while the refused attempt's add was not yet taken back.")
@Outcome(id = "true, true, .*", expect = FORBIDDEN, desc = "Admitted although the drain reported zero.")
@Outcome(id = ".*, .*, -.*", expect = FORBIDDEN, desc = "Negative count.")
@Outcome(id = "false, false, 1", expect = FORBIDDEN, desc = "Refused request leaked a count.")
@State
public class EnterVersusClose {

    private final InflightTracker tracker = new InflightTracker(false);
    private InflightRequest request;

    @Actor
    public void closer(ZZJ_Result r) {
        tracker.close();
        r.r1 = Drain.reported(tracker);
    }

    @Actor
    public void client(ZZJ_Result r) {
        request = tracker.tryEnter();
        r.r2 = request.admitted();
    }

    @org.openjdk.jcstress.annotations.Arbiter
    public void arbiter(ZZJ_Result r) {
        r.r3 = tracker.inflight();
    }
}
