package dev.lifecycle.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.atomic.AtomicInteger;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import dev.lifecycle.core.InflightTracker;

/**
 * Proves: a close listener registered while admission closes runs exactly once: by the closing thread if it was
 * queued in time, else at once by the registering thread; never lost, never twice. Result: (runs seen by the closer
 * right after {@code close()} returned, runs seen by the arbiter).
 */
@JCStressTest
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Queued in time: run by the closing thread.")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "Registered after the close: run by the registering thread.")
@Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "Lost: an adapter would never close its idle connections.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "Run more than once.")
@State
public class OnCloseVersusClose {

    private final InflightTracker tracker = new InflightTracker(false);
    private final AtomicInteger runs = new AtomicInteger();

    @Actor
    public void register() {
        tracker.onClose(runs::incrementAndGet);
    }

    @Actor
    public void close(II_Result r) {
        tracker.close();
        r.r1 = runs.get();
    }

    @Arbiter
    public void arbiter(II_Result r) {
        r.r2 = runs.get();
    }
}
