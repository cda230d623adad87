package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Every rule of {@link RolloutReport#violations()} made to fire, one at a time, from a clean run that has none: a
 * verdict rule nobody has seen fire may never fire.
 */
class RolloutReportTest {

    /** Times in ms on the run's timeline. */
    private static final double SIGTERM = 10_000;
    private static final double REMOVED = 11_000;

    private final List<Replica> replicas = new ArrayList<>();
    private final List<RequestRecord> raw = new ArrayList<>();
    private long scheduled;

    /** Two replicas: "old" terminated cleanly (served in its lag window, exit 143), "new" took over. */
    RolloutReportTest() {
        Replica old = replica("old", 0, 1);
        old.readyAt = 900;
        old.sigtermAt = SIGTERM;
        old.removedAt = REMOVED;
        old.exitedAt = 13_000;
        old.exitCode = 143;
        Replica fresh = replica("new", 1, 2);
        fresh.startedAt = 5_000;
        fresh.readyAt = 6_000;
        fresh.upAt = 6_010;
        fresh.exitCode = 143; // stopped at the end of the run
        ok(2_000, "old");
        ok(SIGTERM + 500, "old"); // sent in the lag window
        ok(7_000, "new");
        ok(12_000, "new");
    }

    private Replica replica(String id, int revision, int slot) {
        Replica replica = new Replica(id, revision, slot);
        replica.startedAt = 0;
        replica.upAt = 1_000;
        replicas.add(replica);
        return replica;
    }

    private void ok(double sent, String replica) {
        raw.add(new RequestRecord(scheduled++, sent, sent, sent + 5, 1, replica, "GET /x", 200, Outcome.OK, ""));
    }

    private static RequestRecord answeredBy(RequestRecord r, String replica) {
        return new RequestRecord(r.sequence(), r.scheduled(), r.sent(), r.completed(), r.connection(), replica,
                r.request(), r.status(), r.outcome(), r.detail());
    }

    private RolloutReport report(Consumer<RolloutReportTest> change, ClientRecords... more) {
        change.accept(this);
        List<ClientRecords> clients = new ArrayList<>();
        clients.add(ClientRecords.of("raw", scheduled, raw, Map.of("CONNECTION_CLOSE", 3L), true));
        clients.addAll(List.of(more));
        return new RolloutReport("test", 10, 0, 20_000, clients, replicas, true, Duration.ofSeconds(10),
                Duration.ofSeconds(1), 143, Path.of("requests.csv"));
    }

    private Replica named(String id) {
        return replicas.stream().filter(r -> r.id.equals(id)).findFirst().orElseThrow();
    }

    @Test
    void cleanRunHasNoViolationAndReportsReconnects() {
        RolloutReport report = report(t -> { });

        assertThat(report.violations()).isEmpty();
        assertThat(report.isZeroDowntime()).isTrue();
        assertThat(report.reconnects()).containsEntry("CONNECTION_CLOSE", 3L);
        assertThat(report.summaryTable()).contains("reconnects without failure: CONNECTION_CLOSE 3",
                "zero downtime: yes");
    }

    @Test
    void failedRequestIsAViolation() {
        RolloutReport report = report(t -> t.raw.set(2, new RequestRecord(2, 7_000, 7_000, 7_001, 1, "", "GET /x", 0,
                Outcome.EOF_NO_RESPONSE, "")));

        assertThat(report.violations()).containsExactly("raw: 1 failed requests: EOF_NO_RESPONSE 1");
    }

    @Test
    void unsolicitedResponseIsAViolation() {
        RolloutReport report = report(t -> t.raw.set(2, new RequestRecord(2, 7_000, Double.NaN, 7_001, 1, "",
                "GET /x", 0, Outcome.UNSOLICITED_RESPONSE, "")));

        assertThat(report.violations()).containsExactly("raw: 1 failed requests: UNSOLICITED_RESPONSE 1");
    }

    @Test
    void scheduledRequestThatWasNeverRecordedIsAViolation() {
        RolloutReport report = report(t -> t.scheduled += 2);

        assertThat(report.violations()).containsExactly("raw: 2 of 6 scheduled requests were never recorded "
                + "(lost; first: [4, 5])");
    }

    @Test
    void requestRecordedTwiceOrNeverScheduledIsAViolation() {
        RolloutReport report = report(t -> {
            t.raw.add(t.raw.get(0));
            t.raw.add(new RequestRecord(99, 7_000, 7_000, 7_001, 1, "new", "GET /x", 200, Outcome.OK, ""));
        });

        assertThat(report.violations()).containsExactly("raw: 1 requests recorded twice (first: [0])",
                "raw: 1 records of requests never scheduled (first: [99])");
    }

    @Test
    void clientThatRecordedNothingIsAViolation() {
        RolloutReport report = report(t -> { }, ClientRecords.ofCounts("hey", Map.of(), List.of()));

        assertThat(report.violations()).containsExactly("hey: no request recorded: the client did not run");
    }

    @Test
    void failuresOfACountingClientAreViolations() throws Exception {
        ClientRecords hey = ClientRecords.parseHey("hey", String.join("\n",
                "Status code distribution:", "  [201]\t40 responses", "  [503]\t2 responses", "",
                "Error distribution:", "  [1]\tPost \"http://10.96.0.10:80/users\": EOF", ""));

        RolloutReport report = report(t -> { }, hey);

        assertThat(hey.requests()).isEqualTo(43);
        assertThat(report.violations()).containsExactly("hey: 3 failed requests: HTTP_ERROR 2, EOF_NO_RESPONSE 1");
        assertThat(report.summaryTable()).contains("status 503: 2", "1 x Post \"http://10.96.0.10:80/users\": EOF",
                "reconnects without failure: not observable");
    }

    @Test
    void replicaThatServedNothingIsAViolation() {
        RolloutReport report = report(t -> t.raw.replaceAll(r -> r.replica().equals("new") ? answeredBy(r, "old") : r));

        assertThat(report.violations()).containsExactly("replica new served no request");
    }

    @Test
    void behindNginxOnlyANewReplicaMayServeNothing() {
        RolloutReport report = report(t -> t.raw.replaceAll(r -> r.replica().equals("new") ? answeredBy(r, "old") : r));
        report.exemptIdleNewReplicas("nginx keeps its connections");

        assertThat(report.violations()).isEmpty();
        assertThat(report.summaryTable()).contains("replica new served no request: nginx keeps its connections");
    }

    @Test
    void replicaInRotationWithoutItsReadyFileIsAViolation() {
        RolloutReport report = report(t -> t.named("new").readyAt = Double.NaN);

        assertThat(report.violations()).containsExactly("replica new was in rotation without its ready-file");
    }

    @Test
    void requestAnsweredBeforeTheReadyFileIsAViolation() {
        RolloutReport report = report(t -> t.named("new").readyAt = 7_500);

        assertThat(report.violations()).containsExactly("replica new answered 1 requests before it was ready");
    }

    @Test
    void readyFileOlderThanTheProcessIsAStaleReadyFileViolation() {
        RolloutReport report = report(t -> t.named("new").readyAt = 4_000);

        assertThat(report.violations()).containsExactly("replica new entered the endpoints on a stale ready-file: "
                + "written at 4.000 s, before the process started at 5.000 s");
    }

    @Test
    void endpointLagNotExercisedIsAViolation() {
        RolloutReport report = report(t -> t.raw.replaceAll(r -> r.sent() == SIGTERM + 500 ? answeredBy(r, "new") : r));

        assertThat(report.violations()).containsExactly("replica old served no request sent between its SIGTERM and "
                + "its removal from the load balancer: the endpoint lag was not exercised");
    }

    @Test
    void replicaNeverRemovedIsAViolation() {
        RolloutReport report = report(t -> {
            t.named("old").removedAt = Double.NaN;
            t.raw.add(new RequestRecord(t.scheduled++, 12_000, 12_000, 12_001, 1, "old", "GET /x", 200, Outcome.OK,
                    ""));
        });

        assertThat(report.violations()).contains("replica old was never removed from the load balancer");
    }

    @Test
    void replicaKilledAfterTheGracePeriodIsAViolation() {
        RolloutReport report = report(t -> {
            t.named("old").killed = true;
            t.named("old").exitCode = 137;
        });

        assertThat(report.violations()).containsExactly("replica old still ran PT10S after SIGTERM and was SIGKILLed");
    }

    @Test
    void replicaThatDidNotExitIsAViolation() {
        RolloutReport report = report(t -> t.named("old").exitedAt = Double.NaN);

        assertThat(report.violations()).containsExactly("replica old did not exit after SIGTERM");
    }

    @Test
    void exitStatusOtherThan143AfterSigtermIsAViolation() {
        RolloutReport report = report(t -> t.named("old").exitCode = 0);

        assertThat(report.violations()).containsExactly("replica old exited with status 0 after SIGTERM "
                + "(expected: 143)");
    }

    @Test
    void exitStatusOtherThan143WhenStoppedAtTheEndOfTheRunIsAViolation() {
        RolloutReport report = report(t -> t.named("new").exitCode = 1);

        assertThat(report.violations()).containsExactly("replica new exited with status 1 after the SIGTERM that "
                + "ended the run (expected: 143)");
    }

    @Test
    void replicaKilledWhenStoppedAtTheEndOfTheRunIsAViolation() {
        RolloutReport report = report(t -> {
            t.named("new").killed = true;
            t.named("new").exitCode = 137;
        });

        assertThat(report.violations()).containsExactly("replica new still ran PT10S after the SIGTERM that ended "
                + "the run and was SIGKILLed");
    }

    @Test
    void failuresWhileACrashedReplicaWasStillAnEndpointAreTheCrashsNotViolations() {
        RolloutReport report = report(t -> {
            Replica old = t.named("old");
            old.crashed = true;
            old.exitCode = 137;
            // failed at the kill, and a connection refused just before the endpoint went
            t.raw.add(new RequestRecord(t.scheduled++, SIGTERM - 100, SIGTERM - 100, SIGTERM + 1, 1, "", "GET /x", 0,
                    Outcome.EOF_NO_RESPONSE, ""));
            t.raw.add(new RequestRecord(t.scheduled++, REMOVED - 10, Double.NaN, REMOVED - 9, -1, "", "GET /x", 0,
                    Outcome.CONNECT_REFUSED, ""));
        });

        assertThat(report.violations()).isEmpty();
        assertThat(report.failures()).isEqualTo(2);
        assertThat(report.summaryTable()).contains("failures caused by a crash (not violations): 2");
    }

    @Test
    void failureAfterACrashedReplicaLeftTheEndpointsIsAViolation() {
        RolloutReport report = report(t -> {
            t.named("old").crashed = true;
            t.raw.add(new RequestRecord(t.scheduled++, 13_000, Double.NaN, 13_001, -1, "", "GET /x", 0,
                    Outcome.CONNECT_REFUSED, ""));
        });

        assertThat(report.violations()).containsExactly("raw: 1 failed requests: CONNECT_REFUSED 1");
    }

    /** The drain of "old" begins at its SIGTERM plus this pre-stop delay: 12.000 s. */
    private static final Duration PRE_STOP = Duration.ofSeconds(2);
    private static final double DRAIN_BEGAN = SIGTERM + 2_000;
    private static final String APACHE = PooledLoad.client(PooledLoad.Kind.APACHE);
    private static final String JDK = PooledLoad.client(PooledLoad.Kind.JDK);

    /** A pooled client's records: one answered request, then a failed POST per send time given. */
    private static ClientRecords pooled(String client, Outcome outcome, int status, double... failedSent) {
        List<RequestRecord> records = new ArrayList<>();
        records.add(new RequestRecord(0, 7_000, 7_000, 7_005, -1, "new", "GET /x", 200, Outcome.OK, ""));
        for (double sent : failedSent) {
            records.add(new RequestRecord(records.size(), sent, sent, sent + 3, -1, "", "POST /users", status,
                    outcome, ""));
        }
        return ClientRecords.of(client, records.size(), records, Map.of(), false);
    }

    private RolloutReport raceReport(int tolerated, ClientRecords... clients) {
        RolloutReport report = report(t -> { }, clients);
        report.idleCloseRaces(PRE_STOP, tolerated);
        return report;
    }

    @Test
    void resetOfAPooledClientAtADrainBeginIsAnIdleCloseRaceAndAViolationByDefault() {
        RolloutReport report = raceReport(0, pooled(APACHE, Outcome.RESET, 0, DRAIN_BEGAN - 12));

        assertThat(report.idleCloseRaces()).containsExactly(new RolloutReport.IdleCloseRace(APACHE, 1, "POST /users",
                DRAIN_BEGAN - 12, Outcome.RESET, "old", DRAIN_BEGAN, false));
        assertThat(report.violations()).containsExactly("apache-httpclient5: 1 failed requests: RESET 1 (1 of them "
                + "idle-close races, not tolerated)");
        assertThat(report.summaryTable()).contains("idle-close races: 1 (0 tolerated, 1 violations)",
                "#1 POST /users RESET sent at 11.988 s, -12 ms from replica old's drain begin (12.000 s): violation",
                "idle-close race window: 100 ms before to 400 ms after each drain begin (SIGTERM + pre-stop delay "
                        + "PT2S), pooled HTTP/1.1 clients, no response byte; not tolerated (violations)");
    }

    @Test
    void idleCloseRaceIsLeftOutOfTheVerdictOnlyWhenToleratedAndStillListed() {
        RolloutReport report = raceReport(1, pooled(APACHE, Outcome.RESET, 0, DRAIN_BEGAN - 12),
                pooled(JDK, Outcome.IO_ERROR, 0, DRAIN_BEGAN + 350));

        // one race per client but two on the same replica: more than the bound of 1
        assertThat(report.violations()).containsExactly(
                "apache-httpclient5: 1 failed requests: RESET 1 (1 of them idle-close races, beyond the 1 tolerated "
                        + "per replica)",
                "jdk-httpclient: 1 failed requests: IO_ERROR 1 (1 of them idle-close races, beyond the 1 tolerated "
                        + "per replica)",
                "replica old: 2 idle-close races at its drain begin (expected: at most 1)");

        RolloutReport within = raceReport(1, pooled(APACHE, Outcome.RESET, 0, DRAIN_BEGAN - 12));
        assertThat(within.violations()).isEmpty();
        assertThat(within.failures()).isEqualTo(1);
        assertThat(within.idleCloseRaces()).singleElement().matches(RolloutReport.IdleCloseRace::tolerated);
        assertThat(within.summaryTable()).contains("idle-close races: 1 (1 tolerated, 0 violations)",
                "#1 POST /users RESET sent at 11.988 s, -12 ms from replica old's drain begin (12.000 s): tolerated",
                "tolerated up to 1 per terminated replica", "zero downtime: yes");
    }

    @Test
    void everyNoResponseOutcomeInsideTheWindowIsARaceAndTheWindowsEdgesAreIncluded() {
        RolloutReport report = raceReport(4, pooled(APACHE, Outcome.WRITE_FAILED, 0, DRAIN_BEGAN - 100),
                pooled(JDK, Outcome.EOF_NO_RESPONSE, 0, DRAIN_BEGAN + 400));

        assertThat(report.idleCloseRaces()).extracting(RolloutReport.IdleCloseRace::outcome)
                .containsExactly(Outcome.WRITE_FAILED, Outcome.EOF_NO_RESPONSE);
        assertThat(report.violations()).isEmpty();
    }

    @Test
    void resetOutsideTheWindowIsAViolationEvenWhenRacesAreTolerated() {
        RolloutReport report = raceReport(1, pooled(APACHE, Outcome.RESET, 0, DRAIN_BEGAN - 101, DRAIN_BEGAN + 401,
                SIGTERM + 12));

        assertThat(report.idleCloseRaces()).isEmpty();
        assertThat(report.violations()).containsExactly("apache-httpclient5: 3 failed requests: RESET 3");
    }

    @Test
    void http503OrAPartialResponseInsideTheWindowIsAViolation() {
        RolloutReport report = raceReport(1, pooled(APACHE, Outcome.HTTP_ERROR, 503, DRAIN_BEGAN + 10),
                pooled(JDK, Outcome.EOF_PARTIAL_RESPONSE, 0, DRAIN_BEGAN + 10));

        assertThat(report.idleCloseRaces()).isEmpty();
        assertThat(report.violations()).containsExactly("apache-httpclient5: 1 failed requests: HTTP_ERROR 1",
                "jdk-httpclient: 1 failed requests: EOF_PARTIAL_RESPONSE 1");
    }

    @Test
    void rawGeneratorFailureInsideTheWindowIsAViolation() {
        RolloutReport report = report(t -> t.raw.add(new RequestRecord(t.scheduled++, DRAIN_BEGAN - 12,
                DRAIN_BEGAN - 12, DRAIN_BEGAN + 1, 3, "", "POST /users", 0, Outcome.RESET, "")));
        report.idleCloseRaces(PRE_STOP, 1);

        assertThat(report.idleCloseRaces()).isEmpty();
        assertThat(report.violations()).containsExactly("raw: 1 failed requests: RESET 1");
    }

    @Test
    void withoutThePreStopDelayNoFailureIsClassified() {
        RolloutReport report = report(t -> { }, pooled(APACHE, Outcome.RESET, 0, DRAIN_BEGAN - 12));

        assertThat(report.idleCloseRaces()).isEmpty();
        assertThat(report.violations()).containsExactly("apache-httpclient5: 1 failed requests: RESET 1");
        assertThat(report.summaryTable()).doesNotContain("idle-close race");
    }

    @Test
    void failureAtTheDrainBeginOfACrashedReplicaIsNoIdleCloseRace() {
        // sent after the crash's settle time: a SIGKILL drains nothing, so nothing races with its drain
        RolloutReport report = report(t -> {
            t.named("old").crashed = true;
            t.named("old").exitCode = 137;
        }, pooled(APACHE, Outcome.RESET, 0, DRAIN_BEGAN + 100));
        report.idleCloseRaces(PRE_STOP, 1);

        assertThat(report.idleCloseRaces()).isEmpty();
        assertThat(report.violations()).containsExactly("apache-httpclient5: 1 failed requests: RESET 1");
    }
}
