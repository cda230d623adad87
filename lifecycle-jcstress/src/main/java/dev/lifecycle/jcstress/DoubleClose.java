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
 * Proves: two concurrent shutdowns close admission once: the close listener runs once and the long-lived stream is
 * told to end once; the drain waits for the request in flight, completes when it exits, and a later request is
 * refused. Result: (drained before the exit, 1 if drained after the exit and a later request refused, close listener
 * runs, drain signals to the stream), booleans as 0/1.
 */
@JCStressTest
@Outcome(id = "0, 1, 1, 1", expect = ACCEPTABLE,
         desc = "Closed once: listener and signal ran once, drained on the exit, later request refused.")
@Outcome(id = "1, .*, .*, .*", expect = FORBIDDEN, desc = "Drained while a request was still in flight.")
@Outcome(id = ".*, 0, .*, .*", expect = FORBIDDEN, desc = "Not drained after the exit, or a later request admitted.")
@Outcome(id = ".*, .*, [02-9], .*", expect = FORBIDDEN, desc = "Close listener lost or run twice.")
@Outcome(id = ".*, .*, .*, [02-9]", expect = FORBIDDEN, desc = "Drain signal lost or sent twice.")
@State
public class DoubleClose {

    private final InflightTracker tracker = new InflightTracker(false);
    private final InflightRequest request = tracker.tryEnter();
    private final AtomicInteger listenerRuns = new AtomicInteger();
    private final AtomicInteger signals = new AtomicInteger();

    public DoubleClose() {
        tracker.onClose(listenerRuns::incrementAndGet);
        tracker.tryEnter().markLongLived(signals::incrementAndGet);
    }

    @Actor
    public void firstShutdown() {
        tracker.close();
    }

    @Actor
    public void secondShutdown() {
        tracker.close();
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r1 = Drain.reported(tracker) ? 1 : 0;
        request.exit();
        r.r2 = Drain.reported(tracker) && !tracker.tryEnter().admitted() ? 1 : 0;
        r.r3 = listenerRuns.get();
        r.r4 = signals.get();
    }
}
