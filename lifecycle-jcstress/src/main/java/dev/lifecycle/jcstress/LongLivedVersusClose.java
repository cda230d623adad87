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
 * Proves: a request marked long-lived while admission closes is told to end exactly once (from whichever thread:
 * the signals are counted atomically, so a double signal from two threads is seen), moves out of the main count (the
 * main drain completes), and stays in the long-lived count until it exits. Result: (drain signals, main drained,
 * long-lived drained before the stream exits, long-lived drained after it exits), booleans as 0/1.
 */
@JCStressTest
@Outcome(id = "1, 1, 0, 1", expect = ACCEPTABLE, desc = "Signalled once; main drained; stream counted until it exits.")
@Outcome(id = "0, .*, .*, .*", expect = FORBIDDEN, desc = "Lost signal: the stream is never told to end.")
@Outcome(id = "[2-9], .*, .*, .*", expect = FORBIDDEN, desc = "Signalled more than once.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "Wrong count: main drain blocked, or stream not waited for.")
@State
public class LongLivedVersusClose {

    private final InflightTracker tracker = new InflightTracker(false);
    private final InflightRequest stream = tracker.tryEnter();
    private final AtomicInteger signals = new AtomicInteger();

    @Actor
    public void mark() {
        stream.markLongLived(signals::incrementAndGet);
    }

    @Actor
    public void close() {
        tracker.close();
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r1 = signals.get();
        r.r2 = Drain.reported(tracker) ? 1 : 0;
        r.r3 = Drain.longLivedReported(tracker) ? 1 : 0;
        stream.exit();
        r.r4 = Drain.longLivedReported(tracker) ? 1 : 0;
    }
}
