package dev.lifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.lifecycle.core.Health.Check;
import dev.lifecycle.core.Health.CheckKind;
import dev.lifecycle.core.Health.Task;
import dev.lifecycle.core.Health.TaskStatus;
import dev.lifecycle.testing.BackgroundThreads;

class HealthTest {

    @ParameterizedTest
    @CsvSource({
            // state,  liveness, readiness, startup
            "STARTING, true,     false,     false",
            "READY,    true,     true,      true",
            "DRAINING, true,     false,     true",
            "STOPPED,  true,     false,     true",
            "FAILED,   false,    false,     false",
    })
    void probesAreUpPerState(State state, boolean liveness, boolean readiness, boolean startup) {
        Health health = new Health(state, List.of(), List.of(new Task("migrations", TaskStatus.SUCCEEDED,
                                                                      Duration.ofMillis(5), null)), 0, 0);

        assertThat(health.isUp(Probe.LIVENESS)).isEqualTo(liveness);
        assertThat(health.isUp(Probe.READINESS)).isEqualTo(readiness);
        assertThat(health.isUp(Probe.STARTUP)).isEqualTo(startup);
    }

    @Test
    void probesFollowTheLifecycleFromStartToStop() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of())
                .startupTask(StartupTask.of("migrations", () -> {
                    running.countDown();
                    release.await(10, TimeUnit.SECONDS);
                }))
                .preStopDelay(Duration.ofMinutes(1))
                .build();
        try (BackgroundThreads background = new BackgroundThreads()) {
            CompletableFuture<Void> started = background.start("start", lifecycle::start);
            assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
            assertProbes(lifecycle, true, false, false); // a slow migration must not be restarted by liveness

            release.countDown();
            assertThat(started).succeedsWithin(Duration.ofSeconds(10));
            assertProbes(lifecycle, true, true, true);

            CompletableFuture<Void> shutdown = background.start("shutdown", lifecycle::shutdown);
            await().atMost(Duration.ofSeconds(10)).until(() -> lifecycle.state() == State.DRAINING);
            assertProbes(lifecycle, true, false, true); // a draining pod must not be killed by liveness

            lifecycle.endPreStopDelay();
            assertThat(shutdown).succeedsWithin(Duration.ofSeconds(10));
        }
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    private static void assertProbes(Lifecycle lifecycle, boolean liveness, boolean readiness, boolean startup) {
        assertThat(lifecycle.health(Probe.LIVENESS).isUp(Probe.LIVENESS)).as("liveness").isEqualTo(liveness);
        assertThat(lifecycle.health(Probe.READINESS).isUp(Probe.READINESS)).as("readiness").isEqualTo(readiness);
        assertThat(lifecycle.health(Probe.STARTUP).isUp(Probe.STARTUP)).as("startup").isEqualTo(startup);
    }

    @Test
    void failingChecksTurnTheirProbeDownOnly() {
        AtomicBoolean databaseUp = new AtomicBoolean(true);
        AtomicBoolean cacheUp = new AtomicBoolean(true);
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of())
                                       .healthCheckTimeout(Duration.ofMinutes(5))
                                       .healthCheckMaxAge(Duration.ZERO) // each probe sees the change at once
                                       .livenessCheck("database", databaseUp::get)
                                       .readinessCheck("cache", cacheUp::get)
                                       .build();
        lifecycle.start();

        cacheUp.set(false);
        assertThat(lifecycle.health(Probe.READINESS).isUp(Probe.READINESS)).isFalse();
        assertThat(lifecycle.health(Probe.LIVENESS).isUp(Probe.LIVENESS)).isTrue();

        cacheUp.set(true);
        databaseUp.set(false);
        assertThat(lifecycle.health(Probe.LIVENESS).isUp(Probe.LIVENESS)).isFalse();
        assertThat(lifecycle.health(Probe.READINESS).isUp(Probe.READINESS)).isTrue();
    }

    @Test
    void eachProbeRunsOnlyTheChecksItNeeds() {
        AtomicInteger livenessRuns = new AtomicInteger();
        AtomicInteger readinessRuns = new AtomicInteger();
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of())
                                       .healthCheckTimeout(Duration.ofMinutes(5))
                                       .livenessCheck("live", () -> livenessRuns.incrementAndGet() > 0)
                                       .readinessCheck("ready", () -> readinessRuns.incrementAndGet() > 0)
                                       .build();

        assertThat(lifecycle.health(Probe.LIVENESS).checks()).extracting(Check::name).containsExactly("live");
        assertThat(lifecycle.health(Probe.READINESS).checks()).extracting(Check::name).containsExactly("ready");
        assertThat(lifecycle.health(Probe.STARTUP).checks()).isEmpty();
        assertThat(livenessRuns).hasValue(1);
        assertThat(readinessRuns).hasValue(1);

        assertThat(lifecycle.health().checks()).extracting(Check::name).containsExactly("live", "ready");
    }

    @Test
    void aThrowingCheckIsDownWithItsErrorShownOnlyWithDetails() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of())
                                       .healthCheckTimeout(Duration.ofMinutes(5))
                                       .livenessCheck("database", () -> {
                                           throw new IllegalStateException("pool exhausted at 10.0.0.7");
                                       })
                                       .build();
        Health health = lifecycle.health(Probe.LIVENESS);

        assertThat(health.isUp(Probe.LIVENESS)).isFalse();
        assertThat(health.toJson(Probe.LIVENESS, false)).isEqualTo(
                "{\"status\":\"DOWN\",\"state\":\"STARTING\",\"inflight\":0,\"longLived\":0,"
                + "\"checks\":[{\"name\":\"database\",\"kind\":\"LIVENESS\",\"status\":\"DOWN\"}],\"tasks\":[]}");
        assertThat(health.toJson(Probe.LIVENESS, true)).contains(
                "\"status\":\"DOWN\",\"error\":\"java.lang.IllegalStateException: pool exhausted at 10.0.0.7\"}");
    }

    @Test
    void jsonListsStateCountsChecksAndTasks() {
        Health health = new Health(State.READY,
                                   List.of(new Check("db", CheckKind.LIVENESS, true, null),
                                           new Check("cache", CheckKind.READINESS, false, "check returned false")),
                                   List.of(new Task("migrations", TaskStatus.SUCCEEDED, Duration.ofMillis(1234), null),
                                           new Task("warmup", TaskStatus.FAILED, Duration.ofMillis(7), "boom")),
                                   3, 1);

        assertThat(health.toJson(Probe.READINESS, true)).isEqualTo(
                "{\"status\":\"DOWN\",\"state\":\"READY\",\"inflight\":3,\"longLived\":1,\"checks\":["
                + "{\"name\":\"db\",\"kind\":\"LIVENESS\",\"status\":\"UP\"},"
                + "{\"name\":\"cache\",\"kind\":\"READINESS\",\"status\":\"DOWN\",\"error\":\"check returned false\"}"
                + "],\"tasks\":["
                + "{\"name\":\"migrations\",\"status\":\"SUCCEEDED\",\"durationMs\":1234},"
                + "{\"name\":\"warmup\",\"status\":\"FAILED\",\"durationMs\":7,\"error\":\"boom\"}]}");
        assertThat(health.toJson(Probe.LIVENESS, false)).startsWith("{\"status\":\"UP\",");
        assertThat(health.toJson(Probe.LIVENESS, false)).doesNotContain("error");
    }

    @Test
    void jsonEscapesNamesAndErrors() {
        Health health = new Health(State.STARTING,
                                   List.of(new Check("say \"hi\"\\", CheckKind.LIVENESS, false,
                                                     "line1\nline2\r\ttab\u0001end")),
                                   List.of(), 0, 0);

        assertThat(health.toJson(Probe.LIVENESS, true)).isEqualTo(
                "{\"status\":\"DOWN\",\"state\":\"STARTING\",\"inflight\":0,\"longLived\":0,\"checks\":["
                + "{\"name\":\"say \\\"hi\\\"\\\\\",\"kind\":\"LIVENESS\",\"status\":\"DOWN\","
                + "\"error\":\"line1\\nline2\\r\\ttab\\u0001end\"}],\"tasks\":[]}");
    }

    @Test
    void snapshotReportsRequestsInFlightAndTaskStatuses() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of())
                                       .healthCheckTimeout(Duration.ofMinutes(5))
                                       .startupTask(StartupTask.of("migrations", () -> { }))
                                       .build();
        assertThat(lifecycle.health().tasks()).extracting(Task::status).containsExactly(TaskStatus.PENDING);
        lifecycle.start();
        lifecycle.tracker().tryEnter("GET", "/a");
        lifecycle.tracker().tryEnter("GET", "/events").markLongLived(null);

        Health health = lifecycle.health();

        assertThat(health.inflight()).isEqualTo(1);
        assertThat(health.longLived()).isEqualTo(1);
        assertThat(health.tasks()).extracting(Task::status).containsExactly(TaskStatus.SUCCEEDED);
        assertThat(health.toJson(Probe.READINESS, false)).startsWith(
                "{\"status\":\"UP\",\"state\":\"READY\",\"inflight\":1,\"longLived\":1,\"checks\":[],\"tasks\":["
                + "{\"name\":\"migrations\",\"status\":\"SUCCEEDED\",\"durationMs\":");
    }
}
