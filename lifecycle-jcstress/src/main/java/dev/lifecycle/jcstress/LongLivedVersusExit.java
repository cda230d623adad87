package dev.lifecycle.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.atomic.AtomicInteger;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;

/**
 * Proves: a request that exits while another thread marks it long-lived is counted out exactly once, from whichever
 * count holds it: both counts end at zero, both drains complete at the close, and the exited stream is never told to
 * end. Result: (main count, long-lived count, main and long-lived drained after the close as 0/1, drain signals).
 */
@JCStressTest
@Outcome(id = "0, 0, 1, 0", expect = ACCEPTABLE, desc = "Counted out once; both drains complete; no signal.")
@Outcome(id = "1, .*, .*, .*", expect = FORBIDDEN, desc = "Leaked in the main count: the drain would time out.")
@Outcome(id = ".*, 1, .*, .*", expect = FORBIDDEN, desc = "Leaked in the long-lived count.")
@Outcome(id = ".*, .*, .*, [1-9]", expect = FORBIDDEN, desc = "An exited stream was told to end.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "Negative count, or a drain never reported.")
@State
public class LongLivedVersusExit {

    private final InflightTracker tracker = new InflightTracker(false);
    private final InflightRequest stream = tracker.tryEnter();
    private final AtomicInteger signals = new AtomicInteger();

    @Actor
    public void mark() {
        stream.markLongLived(signals::incrementAndGet);
    }

    @Actor
    public void exit() {
        stream.exit();
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r1 = (int) tracker.inflight();
        r.r2 = (int) tracker.longLived();
        tracker.close();
        r.r3 = Drain.reported(tracker) && Drain.longLivedReported(tracker) ? 1 : 0;
        r.r4 = signals.get();
    }
}
