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
 * Proves, for a described request (in the tracker's slot table): an exit racing with {@code markLongLived}, both of
 * which first try to take the request out of its slot, counts it out exactly once, from whichever count holds it, and
 * leaves it described nowhere. Result: (main count, long-lived count, both drains reported after the close as 0/1,
 * descriptions left plus ten times the drain signals).
 */
@JCStressTest
@Outcome(id = "0, 0, 1, 0", expect = ACCEPTABLE, desc = "Counted out once; both drains complete; nothing left.")
@Outcome(id = "1, .*, .*, .*", expect = FORBIDDEN, desc = "Leaked in the main count: the drain would time out.")
@Outcome(id = ".*, 1, .*, .*", expect = FORBIDDEN, desc = "Leaked in the long-lived count.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "Negative count, still described, a signal to an exited stream.")
@State
public class DescribedLongLivedVersusExit {

    private final InflightTracker tracker = new InflightTracker(true);
    private final InflightRequest stream = tracker.tryEnter("GET", "/events");
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
        r.r4 = tracker.describeOldest(10).size() + 10 * signals.get();
    }
}
