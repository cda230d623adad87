package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;

/**
 * What the rollout tests that tolerate idle-close races ({@link RolloutHarnessBuilder#tolerateIdleCloseRaces(int)})
 * check of them: each is a pooled HTTP/1.1 client's, tolerated, and printed in the summary, never hidden.
 */
final class IdleCloseRaceChecks {

    private IdleCloseRaceChecks() {
    }

    /** The summary states the race window and lists every idle-close race with its times. */
    static void assertListed(RolloutReport report) {
        String summary = report.summaryTable();
        assertThat(summary).contains("idle-close race window: 100 ms before to 400 ms after each drain begin");
        assertThat(report.idleCloseRaces()).allSatisfy(race -> {
            assertThat(race.client()).isIn(RolloutReport.POOLED_HTTP1_CLIENTS);
            assertThat(race.tolerated()).as("%s tolerated", race).isTrue();
            assertThat(summary).contains(String.format(Locale.ROOT, "#%d %s %s sent at %.3f s, %+.0f ms from replica "
                    + "%s's drain begin", race.sequence(), race.request(), race.outcome(), race.sent() / 1000,
                    race.offsetMillis(), race.replica()));
        });
    }

    /** The failures of a client the verdict tolerated as idle-close races. */
    static long toleratedFailures(RolloutReport report, String client) {
        return report.idleCloseRaces().stream().filter(r -> r.client().equals(client) && r.tolerated()).count();
    }
}
