package dev.lifecycle.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.Map;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZZZ_Result;

import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;

/**
 * Proves, on the startup path: a lifecycle shut down before it was ever ready closes a tracker whose admission never
 * opened; a request racing that close is refused, and the drain is reported even though admission never opened, once
 * the refused attempt has taken back its one. Result: (drain reported to the closer right after close, admitted,
 * count seen by the arbiter is 0, drain reported to the arbiter).
 */
@JCStressTest
@Outcome(id = "true, false, true, true", expect = ACCEPTABLE, desc = "Refused; drained at the close.")
@Outcome(id = "false, false, true, true", expect = ACCEPTABLE_INTERESTING,
         desc = "Refused; the closer checked the drain before the refused attempt took its one back.")
@Outcome(id = ".*, true, .*, .*", expect = FORBIDDEN, desc = "Admitted although admission never opened.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "Count leaked, or the drain never reported: shutdown would hang.")
@State
public class CloseBeforeOpen {

    // A lifecycle never started: its tracker's admission has not opened, as during startup tasks.
    private final InflightTracker tracker = Lifecycle.builder().environment(Map.of()).describeRequests(false).build()
                                                     .tracker();

    @Actor
    public void closer(ZZZZ_Result r) {
        tracker.close();
        r.r1 = Drain.reported(tracker);
    }

    @Actor
    public void client(ZZZZ_Result r) {
        r.r2 = tracker.tryEnter().admitted();
    }

    @Arbiter
    public void arbiter(ZZZZ_Result r) {
        r.r3 = tracker.inflight() == 0;
        r.r4 = Drain.reported(tracker);
    }
}
