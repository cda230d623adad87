package dev.lifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lifecycle.core.Health.Check;
import dev.lifecycle.testing.LogCapture;

/**
 * Health checks are bounded, cached, run off the caller's thread, and logged when they change: what a hung check or a
 * probe storm must not break (issue 11, defect 4).
 */
class HealthChecksTest {

    /** A wait no correct run comes near: only a broken implementation ever reaches it. */
    private static final long GENEROUS_SECONDS = 30;

    private final CountDownLatch release = new CountDownLatch(1);
    private final FakeTicker ticker = new FakeTicker();
    private final List<Lifecycle> lifecycles = new ArrayList<>();

    @AfterEach
    void stop() {
        release.countDown();
        lifecycles.forEach(Lifecycle::shutdown);
    }

    /** Checks that return at once never reach this timeout, however slow the machine; tests of it set their own. */
    private LifecycleBuilder builder() {
        return Lifecycle.builder().environment(Map.of()).ticker(ticker).healthCheckTimeout(Duration.ofMinutes(5));
    }

    private Lifecycle build(LifecycleBuilder builder) {
        Lifecycle lifecycle = builder.build();
        lifecycles.add(lifecycle);
        return lifecycle;
    }

    @Test
    void aHungCheckIsReportedDownWhenItsTimeoutPassesAndIsInterrupted() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        Lifecycle lifecycle = build(builder().healthCheckTimeout(Duration.ofMillis(200))
                                             .readinessCheck("database", () -> {
                                                 started.countDown();
                                                 try {
                                                     return release.await(GENEROUS_SECONDS, TimeUnit.SECONDS);
                                                 } catch (InterruptedException e) {
                                                     interrupted.countDown();
                                                     throw e;
                                                 }
                                             }));
        lifecycle.start();

        Health health = lifecycle.health(Probe.READINESS);

        assertThat(health.isUp(Probe.READINESS)).isFalse();
        assertThat(health.checks()).containsExactly(
                new Check("database", Health.CheckKind.READINESS, false, "did not finish within 200 ms"));
        // On a machine too slow to start the run within 200 ms, it never starts: a later probe runs the check.
        await().atMost(Duration.ofSeconds(GENEROUS_SECONDS)).until(() -> {
            ticker.advance(Duration.ofSeconds(2));
            lifecycle.health(Probe.READINESS);
            return started.getCount() == 0;
        });
        assertThat(interrupted.await(GENEROUS_SECONDS, TimeUnit.SECONDS)).as("the hung check was interrupted")
                                                                       .isTrue();
    }

    @Test
    void aCheckThatIgnoresItsInterruptHoldsOneRunAndLaterProbesAnswerAtOnce() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Lifecycle lifecycle = build(builder().healthCheckTimeout(Duration.ofMillis(100))
                                             .healthCheckMaxAge(Duration.ofSeconds(1))
                                             .readinessCheck("stuck", () -> {
                                                 runs.incrementAndGet();
                                                 return awaitIgnoringInterrupts(release);
                                             }));
        lifecycle.start();
        assertThat(lifecycle.health(Probe.READINESS).isUp(Probe.READINESS)).isFalse();

        // The check still runs: later probes, even after the result aged, get its timeout without a second run.
        for (int i = 0; i < 10; i++) {
            ticker.advance(Duration.ofSeconds(2));
            Future<Health> probe = CompletableFuture.supplyAsync(() -> lifecycle.health(Probe.READINESS));
            assertThat(probe.get(GENEROUS_SECONDS, TimeUnit.SECONDS).checks()).extracting(Check::error)
                    .containsExactly("did not finish within 100 ms");
        }
        assertThat(runs).hasValue(1);

        release.countDown();
        await().atMost(Duration.ofSeconds(GENEROUS_SECONDS))
               .until(() -> lifecycle.health(Probe.READINESS).isUp(Probe.READINESS));
        assertThat(runs).hasValue(1);
    }

    private static boolean awaitIgnoringInterrupts(CountDownLatch latch) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    latch.await();
                    return true;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void livenessAnswersWhileAReadinessCheckHangs() throws Exception {
        CountDownLatch readinessRunning = new CountDownLatch(1);
        Lifecycle lifecycle = build(builder().healthCheckTimeout(Duration.ofMinutes(10))
                                             .livenessCheck("heap", () -> true)
                                             .readinessCheck("database", () -> {
                                                 readinessRunning.countDown();
                                                 return release.await(GENEROUS_SECONDS * 4, TimeUnit.SECONDS);
                                             }));
        lifecycle.start();
        ExecutorService probes = Executors.newCachedThreadPool(); // a thread per probe: none waits for a free one
        try {
            CompletableFuture<Health> readiness = CompletableFuture.supplyAsync(
                    () -> lifecycle.health(Probe.READINESS), probes);
            assertThat(readinessRunning.await(GENEROUS_SECONDS, TimeUnit.SECONDS)).isTrue();

            for (int i = 0; i < 8; i++) { // more probes than any adapter's probe threads
                CompletableFuture.runAsync(() -> lifecycle.health(Probe.READINESS), probes);
            }
            Health liveness = CompletableFuture.supplyAsync(() -> lifecycle.health(Probe.LIVENESS), probes)
                                               .get(GENEROUS_SECONDS, TimeUnit.SECONDS);

            assertThat(liveness.isUp(Probe.LIVENESS)).isTrue();
            assertThat(readiness).as("readiness still waits for its check").isNotDone();
            release.countDown();
            assertThat(readiness.get(GENEROUS_SECONDS, TimeUnit.SECONDS).isUp(Probe.READINESS)).isTrue();
        } finally {
            release.countDown();
            probes.shutdown();
        }
    }

    @Test
    void aProbeStormRunsEachCheckOncePerMaxAge() throws Exception {
        AtomicInteger livenessRuns = new AtomicInteger();
        AtomicInteger readinessRuns = new AtomicInteger();
        Lifecycle lifecycle = build(builder().healthCheckMaxAge(Duration.ofSeconds(1))
                                             .livenessCheck("heap", () -> livenessRuns.incrementAndGet() > 0)
                                             .readinessCheck("database", () -> readinessRuns.incrementAndGet() > 0));
        lifecycle.start();
        ExecutorService storm = Executors.newFixedThreadPool(16);
        try {
            List<Future<Boolean>> probes = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                Probe probe = i % 2 == 0 ? Probe.LIVENESS : Probe.READINESS;
                probes.add(storm.submit(() -> lifecycle.health(probe).isUp(probe)));
            }
            for (Future<Boolean> probe : probes) {
                assertThat(probe.get(GENEROUS_SECONDS, TimeUnit.SECONDS)).isTrue();
            }
        } finally {
            storm.shutdownNow();
        }
        assertThat(livenessRuns).hasValue(1);
        assertThat(readinessRuns).as("start() ran them once, the storm reused that run").hasValue(1);

        ticker.advance(Duration.ofMillis(999));
        lifecycle.health(Probe.READINESS);
        assertThat(readinessRuns).as("a result 999 ms old is reused").hasValue(1);

        ticker.advance(Duration.ofMillis(1));
        lifecycle.health(Probe.READINESS);
        lifecycle.health(Probe.READINESS);
        assertThat(readinessRuns).as("a result 1 s old is not").hasValue(2);
    }

    @Test
    void aMaxAgeOfZeroRunsTheCheckForEveryProbe() {
        AtomicInteger runs = new AtomicInteger();
        Lifecycle lifecycle = build(builder().healthCheckMaxAge(Duration.ZERO)
                                             .livenessCheck("heap", () -> runs.incrementAndGet() > 0));
        for (int i = 0; i < 5; i++) {
            lifecycle.health(Probe.LIVENESS);
        }
        assertThat(runs).hasValue(5);
    }

    @Test
    void aCheckThatChangesStatusIsLoggedOnceAtWarnWithItsErrorAndOnceAtInfoWhenItRecovers() {
        AtomicBoolean up = new AtomicBoolean(true);
        Lifecycle lifecycle = build(builder().healthCheckMaxAge(Duration.ZERO)
                                             .readinessCheck("database", () -> {
                                                 if (!up.get()) {
                                                     throw new IOException("connection refused");
                                                 }
                                                 return true;
                                             }));
        lifecycle.start();
        try (LogCapture log = new LogCapture()) {
            probe(lifecycle, 3);
            up.set(false);
            probe(lifecycle, 3);
            up.set(true);
            probe(lifecycle, 3);
            up.set(false);
            probe(lifecycle, 3);

            String text = log.text();
            assertThat(count(text, "WARN dev.lifecycle.core.HealthChecks - Health check 'database' (readiness) is "
                                   + "down: java.io.IOException: connection refused"))
                    .as(text).isEqualTo(2);
            assertThat(count(text, "INFO dev.lifecycle.core.HealthChecks - Health check 'database' (readiness) is "
                                   + "up again"))
                    .as(text).isEqualTo(1);
            assertThat(text).as("the WARN carries the stack trace")
                            .contains("java.io.IOException: connection refused\n\tat ");
        }
    }

    @Test
    void aTimeoutIsLoggedLikeAnyFailure() {
        Lifecycle lifecycle = build(builder().healthCheckTimeout(Duration.ofMillis(50))
                                             .livenessCheck("disk", () -> release.await(GENEROUS_SECONDS,
                                                                                         TimeUnit.SECONDS)));
        try (LogCapture log = new LogCapture()) {
            lifecycle.health(Probe.LIVENESS);

            assertThat(log.text()).contains(
                    "WARN dev.lifecycle.core.HealthChecks - Health check 'disk' (liveness) is down: "
                    + "did not finish within 50 ms");
        }
    }

    private static void probe(Lifecycle lifecycle, int times) {
        for (int i = 0; i < times; i++) {
            lifecycle.health(Probe.READINESS);
        }
    }

    private static int count(String text, String line) {
        Matcher matcher = Pattern.compile(Pattern.quote(line)).matcher(text);
        int count = 0;
        while (matcher.find()) {
            count++;
        }
        return count;
    }

    @Test
    void anInterruptedProbeReportsTheUnfinishedCheckDownAndKeepsTheInterruptFlag() {
        Lifecycle lifecycle = build(builder().healthCheckTimeout(Duration.ofMinutes(10))
                                             .livenessCheck("database", () -> release.await(GENEROUS_SECONDS,
                                                                                             TimeUnit.SECONDS)));
        Thread.currentThread().interrupt();
        Health health;
        try {
            health = lifecycle.health(Probe.LIVENESS);
        } finally {
            assertThat(Thread.interrupted()).as("the interrupt flag is kept").isTrue();
        }
        assertThat(health.checks()).extracting(Check::up, Check::error)
                                   .containsExactly(org.assertj.core.groups.Tuple.tuple(
                                           false, "not finished: the probe was interrupted"));
    }

    @Test
    void checksRunOnTheLifecyclesDaemonThreadsWhichEndAtShutdown() {
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        Lifecycle lifecycle = build(builder().livenessCheck("heap", () -> {
            ranOn.set(Thread.currentThread());
            return true;
        }));
        lifecycle.start();
        assertThat(lifecycle.health(Probe.LIVENESS).isUp(Probe.LIVENESS)).isTrue();

        Thread thread = ranOn.get();
        assertThat(thread).isNotSameAs(Thread.currentThread());
        assertThat(thread.isDaemon()).isTrue();
        assertThat(thread.getName()).startsWith("lifecycle-health-");

        lifecycle.shutdown();
        await().atMost(Duration.ofSeconds(GENEROUS_SECONDS)).until(() -> !thread.isAlive());
        assertThat(lifecycle.health(Probe.LIVENESS).checks()).as("the last result, once stopped")
                                                             .extracting(Check::up).containsExactly(true);
    }

    @Test
    void asyncHealthAndProbeResponseCompleteWithinTheTimeout() throws Exception {
        Lifecycle lifecycle = build(builder().healthCheckTimeout(Duration.ofMillis(100))
                                             .livenessCheck("heap", () -> true)
                                             .readinessCheck("database", () -> release.await(GENEROUS_SECONDS,
                                                                                              TimeUnit.SECONDS)));
        lifecycle.start();

        Health readiness = lifecycle.healthAsync(Probe.READINESS).toCompletableFuture()
                                    .get(GENEROUS_SECONDS, TimeUnit.SECONDS);
        Health liveness = lifecycle.healthAsync(Probe.LIVENESS).toCompletableFuture()
                                   .get(GENEROUS_SECONDS, TimeUnit.SECONDS);

        assertThat(readiness.checks()).extracting(Check::error).containsExactly("did not finish within 100 ms");
        assertThat(liveness.isUp(Probe.LIVENESS)).isTrue();
        assertThat(lifecycle.healthAsync(Probe.STARTUP).toCompletableFuture()).isCompleted();

        LocalResponse probe = lifecycle.probeResponseAsync(Probe.READINESS, true).toCompletableFuture()
                                       .get(GENEROUS_SECONDS, TimeUnit.SECONDS);
        assertThat(probe.status()).isEqualTo(503);
        assertThat(new String(probe.body(), java.nio.charset.StandardCharsets.UTF_8))
                .contains("\"error\":\"did not finish within 100 ms\"");
    }

    @Test
    void settingsAreCheckedAndReadFromTheEnvironment() {
        LifecycleBuilder builder = Lifecycle.builder();
        assertThatThrownBy(() -> builder.healthCheckTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("healthCheckTimeout: PT0S (expected: > 0)");
        assertThatThrownBy(() -> builder.healthCheckMaxAge(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("healthCheckMaxAge: PT-0.001S (expected: >= 0)");
        assertThatThrownBy(() -> builder.readyFileRefreshInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("readyFileRefreshInterval: PT0S (expected: > 0)");
        assertThatThrownBy(() -> builder.healthCheckTimeout(null))
                .isInstanceOf(NullPointerException.class).hasMessage("healthCheckTimeout cannot be null");

        assertThatThrownBy(() -> Lifecycle.builder().environment(Map.of("LIFECYCLE_HEALTH_CHECK_TIMEOUT", "0")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("LIFECYCLE_HEALTH_CHECK_TIMEOUT: '0' (expected: > 0)");
        assertThatThrownBy(() -> Lifecycle.builder().environment(Map.of("LIFECYCLE_HEALTH_CHECK_MAX_AGE", "-1s"))
                                          .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("LIFECYCLE_HEALTH_CHECK_MAX_AGE: '-1s' (expected: >= 0)");
        assertThatThrownBy(() -> Lifecycle.builder().environment(Map.of("LIFECYCLE_READY_FILE_REFRESH_INTERVAL",
                                                                        "often")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("LIFECYCLE_READY_FILE_REFRESH_INTERVAL: 'often' (expected: a duration such as 0, 500ms, "
                            + "5s, 2m, 1h or PT5S)");

        Lifecycle lifecycle = build(builder().environment(Map.of("LIFECYCLE_HEALTH_CHECK_TIMEOUT", "40ms"))
                                             .livenessCheck("disk", () -> release.await(GENEROUS_SECONDS,
                                                                                         TimeUnit.SECONDS)));
        assertThat(lifecycle.health(Probe.LIVENESS).checks()).extracting(Check::error)
                                                             .containsExactly("did not finish within 40 ms");
    }
}
