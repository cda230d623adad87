package dev.lifecycle.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
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
 * Proves the tracker's cells (while admission is open each thread counts in a cell of its own; the close seals the
 * cells and moves their counts to the admission word): under {@link DrainPolicy#SERVE_AND_CLOSE}, with two requests
 * admitted before the race on the thread that built the state, one of them exits on the client's thread, which then
 * asks for admission, in its own cell or through the word, against the close. The other earlier request is still in
 * flight, so the client must be admitted whatever the order: an exit that finds its cell sealed before the close
 * moved that cell's count to the word must not take the word's count below zero, which would read as flags and
 * refuse the client. No count is lost, and the drain is reported once everything exited. Jcstress runs no more actors
 * than there are processors, hence one client that does both. Result: (drain reported to the closer right after
 * close, client admitted, count seen by the arbiter right, drain reported once all exited).
 */
@JCStressTest
@Outcome(id = "false, true, true, true", expect = ACCEPTABLE,
         desc = "Admitted: a request was in flight throughout, so serve-and-close admits.")
@Outcome(id = "true, .*, .*, .*", expect = FORBIDDEN, desc = "Drain reported with a request in flight.")
@Outcome(id = ".*, false, .*, .*", expect = FORBIDDEN, desc = "Refused with a request in flight: the count went wrong.")
@Outcome(id = ".*, .*, false, .*", expect = FORBIDDEN, desc = "Count wrong: lost, leaked or negative.")
@Outcome(id = ".*, .*, .*, false", expect = FORBIDDEN, desc = "Drain never reported.")
@State
public class CellsVersusClose {

    private final InflightTracker tracker = new InflightTracker(false, DrainPolicy.SERVE_AND_CLOSE);
    private final InflightRequest exiting = tracker.tryEnter();
    private final InflightRequest staying = tracker.tryEnter();
    private InflightRequest request;

    @Actor
    public void closer(ZZZZ_Result r) {
        tracker.close();
        r.r1 = Drain.reported(tracker);
    }

    @Actor
    public void client(ZZZZ_Result r) {
        exiting.exit();
        request = tracker.tryEnter();
        r.r2 = request.admitted();
    }

    @Arbiter
    public void arbiter(ZZZZ_Result r) {
        r.r3 = tracker.inflight() == (request.admitted() ? 2 : 1);
        request.exit();
        staying.exit();
        r.r4 = Drain.reported(tracker);
    }
}
