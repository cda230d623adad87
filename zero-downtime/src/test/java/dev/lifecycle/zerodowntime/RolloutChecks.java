package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Locale;

/**
 * What the rollout tests check of every run: terminated replicas that exited cleanly, every scheduled request
 * recorded, and, for the runs that tolerate idle-close races ({@link RolloutHarnessBuilder#tolerateIdleCloseRaces(int)}),
 * that each is a pooled HTTP/1.1 client's, tolerated, and printed in the summary, never hidden.
 */
final class RolloutChecks {

    private RolloutChecks() {
    }

    /**
     * {@code count} replicas terminated, each exited 143 after serving in its lag window; no client failed beyond the
     * tolerated idle-close races, and every scheduled request was recorded.
     *
     * @return the terminated replicas
     */
    static List<RolloutReport.ReplicaSummary> assertCleanTerminations(RolloutReport report, int count) {
        List<RolloutReport.ReplicaSummary> terminated =
                report.replicas().stream().filter(RolloutReport.ReplicaSummary::terminated).toList();
        assertThat(terminated).hasSize(count).allSatisfy(replica -> {
            assertThat(replica.exitCode()).as("%s exit status", replica.id()).isEqualTo(143);
            assertThat(replica.servedInLagWindow()).as("%s served in its lag window", replica.id()).isPositive();
        });
        assertThat(report.clients()).allSatisfy(client -> {
            assertThat(client.failures()).as("%s failures beyond the tolerated idle-close races", client.client())
                    .isEqualTo(toleratedFailures(report, client.client()));
            if (client.scheduled() >= 0) {
                assertThat(client.requests()).as("%s: every scheduled request recorded", client.client())
                        .isEqualTo(client.scheduled());
            }
        });
        return terminated;
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
