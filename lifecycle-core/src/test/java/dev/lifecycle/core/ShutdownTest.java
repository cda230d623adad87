package dev.lifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lifecycle.core.Health.TaskStatus;
import dev.lifecycle.testing.BackgroundThreads;
import dev.lifecycle.testing.LogCapture;

class ShutdownTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final BackgroundThreads background = new BackgroundThreads(WAIT);

    @AfterEach
    void joinThreads() {
        background.close();
    }

    private static LifecycleBuilder builder() {
        return Lifecycle.builder().environment(Map.of());
    }

    @Test
    void runsTheWholeSequenceInOrder() {
        Lifecycle lifecycle = builder().build();
        lifecycle.start();
        List<String> events = new CopyOnWriteArrayList<>();
        lifecycle.addStopAction("first registered", () -> events.add("first registered " + lifecycle.state()));
        lifecycle.addStopAction("last registered", () -> {
            events.add("last registered " + lifecycle.state() + " closed=" + lifecycle.tracker().isClosed());
        });

        try (LogCapture log = new LogCapture()) {
            lifecycle.shutdown();

            assertThat(log.text()).containsSubsequence("Draining: readiness down", "Admission closed: draining 0 "
                                                       + "request(s) in flight (timeout 20.0 s)", "Drained in",
                                                       "Stop action 'last registered' done",
                                                       "Stop action 'first registered' done", "Stopped in");
        }
        assertThat(events).containsExactly("last registered DRAINING closed=true", "first registered DRAINING");
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
        assertThat(lifecycle.isDraining()).isTrue();
        assertThat(lifecycle.drainDuration()).isPresent();
    }

    @Test
    void drainWaitsForAnInFlightRequestAndEndsWhenItExits() {
        Lifecycle lifecycle = builder().build();
        lifecycle.start();
        InflightRequest request = lifecycle.tracker().tryEnter("GET", "/slow");
        CompletableFuture<Void> shutdown = background.start("shutdown", lifecycle::shutdown);

        await().atMost(WAIT).until(() -> lifecycle.tracker().isClosed());
        assertThat(lifecycle.tracker().tryEnter("GET", "/new").admitted()).isFalse();
        assertThat(lifecycle.state()).isEqualTo(State.DRAINING);
        assertThat(shutdown).isNotDone();

        request.exit();
        await().atMost(WAIT).until(() -> lifecycle.state() == State.STOPPED);
    }

    @Test
    void drainTimeoutIsLoggedWithTheRequestsStillInFlightAndTheSequenceGoesOn() {
        Lifecycle lifecycle = builder().drainTimeout(Duration.ofMillis(100)).build();
        lifecycle.start();
        lifecycle.tracker().tryEnter("GET", "/orders/42?token=secret");
        lifecycle.tracker().tryEnter("POST", "/payments");
        AtomicBoolean stopped = new AtomicBoolean();
        lifecycle.addStopAction("server", () -> stopped.set(true));

        try (LogCapture log = new LogCapture()) {
            lifecycle.shutdown();

            assertThat(log.text()).contains("WARN", "Drain timed out after", "with 2 request(s) and 0 long-lived "
                                                                             + "request(s) still in flight; oldest: "
                                                                             + "GET /orders/42 (age ",
                                            "POST /payments (age ")
                                  .doesNotContain("secret");
        }
        assertThat(stopped).isTrue();
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    @Test
    void drainTimeoutWithoutDescriptionsSaysHowToSeeThem() {
        Lifecycle lifecycle = builder().drainTimeout(Duration.ZERO).describeRequests(false).build();
        lifecycle.start();
        lifecycle.tracker().tryEnter("GET", "/slow");

        try (LogCapture log = new LogCapture()) {
            lifecycle.shutdown();

            assertThat(log.text()).contains("with 1 request(s) and 0 long-lived request(s) still in flight; enable "
                                            + "describeRequests to see which");
        }
    }

    @Test
    void preStopDelayKeepsAdmittingThenAdmissionCloses() {
        Lifecycle lifecycle = builder().preStopDelay(Duration.ofMinutes(1)).build();
        lifecycle.start();
        background.start("shutdown", lifecycle::shutdown);

        await().atMost(WAIT).until(() -> lifecycle.state() == State.DRAINING);
        assertThat(lifecycle.health(Probe.READINESS).isUp(Probe.READINESS)).isFalse();
        assertThat(lifecycle.isDraining()).isTrue();
        InflightRequest duringDelay = lifecycle.tracker().tryEnter("GET", "/during-delay");
        assertThat(duringDelay.admitted()).isTrue();
        await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> !lifecycle.tracker().isClosed());

        lifecycle.endPreStopDelay();
        await().atMost(WAIT).until(() -> lifecycle.tracker().isClosed());
        assertThat(lifecycle.tracker().tryEnter("GET", "/after-delay").admitted()).isFalse();
        assertThat(lifecycle.state()).isEqualTo(State.DRAINING); // the request admitted during the delay drains

        duringDelay.exit();
        await().atMost(WAIT).until(() -> lifecycle.state() == State.STOPPED);
    }

    @Test
    void preStopDelayIsWaitedOut() {
        Duration delay = Duration.ofMillis(200);
        Lifecycle lifecycle = builder().preStopDelay(delay).build();
        lifecycle.start();

        long start = System.nanoTime();
        lifecycle.shutdown();

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(delay);
    }

    @Test
    void longLivedRequestsAreToldToEndWhenAdmissionClosesAndHaveTheirOwnBound() {
        Lifecycle lifecycle = builder().drainTimeout(Duration.ofMinutes(1))
                                       .longLivedDrainTimeout(Duration.ofMillis(100))
                                       .build();
        lifecycle.start();
        InflightRequest stream = lifecycle.tracker().tryEnter("GET", "/events");
        CountDownLatch told = new CountDownLatch(1);
        AtomicBoolean closedWhenTold = new AtomicBoolean();
        stream.markLongLived(() -> {
            closedWhenTold.set(lifecycle.tracker().isClosed());
            told.countDown(); // and ignores the signal: the long-lived bound must end the wait
        });

        try (LogCapture log = new LogCapture()) {
            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(lifecycle::shutdown);
            // The main drain timeout is a minute: finishing within WAIT shows the long-lived bound applied.
            assertThat(shutdown).succeedsWithin(WAIT);

            assertThat(log.text()).contains("Admission closed: draining 0 request(s) in flight and 1 long-lived",
                                            "with 0 request(s) and 1 long-lived request(s) still in flight; oldest: "
                                            + "GET /events [long-lived] (age ");
        }
        assertThat(told.getCount()).isZero();
        assertThat(closedWhenTold).isTrue();
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    @Test
    void longLivedRequestsThatEndWhenToldLetTheDrainFinishAtOnce() {
        Lifecycle lifecycle = builder().longLivedDrainTimeout(Duration.ofMinutes(1)).build();
        lifecycle.start();
        InflightRequest stream = lifecycle.tracker().tryEnter("GET", "/events");
        stream.markLongLived(stream::exit);

        try (LogCapture log = new LogCapture()) {
            assertThat(CompletableFuture.runAsync(lifecycle::shutdown)).succeedsWithin(WAIT);

            assertThat(log.text()).contains("Drained in").doesNotContain("Drain timed out");
        }
        assertThat(lifecycle.tracker().longLived()).isZero();
    }

    @Test
    void stopActionsThatThrowOrHangAreLoggedBoundedAndTheNextOneStillRuns() throws Exception {
        Lifecycle lifecycle = builder().stopTimeout(Duration.ofMillis(200)).build();
        lifecycle.start();
        List<String> ran = new CopyOnWriteArrayList<>();
        CountDownLatch hangingInterrupted = new CountDownLatch(1);
        lifecycle.addStopAction("database pool", () -> ran.add("database pool"));
        lifecycle.addStopAction("hanging client", () -> {
            ran.add("hanging client");
            try {
                new CountDownLatch(1).await(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                hangingInterrupted.countDown();
            }
        });
        lifecycle.addStopAction("broken cache", () -> {
            ran.add("broken cache");
            throw new IllegalStateException("cache already closed");
        });

        try (LogCapture log = new LogCapture()) {
            lifecycle.shutdown();

            assertThat(log.text()).contains("Stop action 'broken cache' failed; going on",
                                            "cache already closed",
                                            "Stop action 'hanging client' did not finish within 200 ms; "
                                            + "interrupting it and going on",
                                            "Stop action 'database pool' done");
        }
        assertThat(ran).containsExactly("broken cache", "hanging client", "database pool");
        assertThat(hangingInterrupted.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    @Test
    void concurrentShutdownsRunTheSequenceOnceAndAllReturnWhenItHasFinished() throws Exception {
        Lifecycle lifecycle = builder().build();
        lifecycle.start();
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger stopRuns = new AtomicInteger();
        lifecycle.addStopAction("server", () -> {
            stopRuns.incrementAndGet();
            release.await(10, TimeUnit.SECONDS);
        });
        int callers = 4;
        CyclicBarrier barrier = new CyclicBarrier(callers);
        List<CompletableFuture<State>> returned = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            CompletableFuture<State> future = new CompletableFuture<>();
            returned.add(future);
            background.start("shutdown-" + i, () -> {
                try {
                    barrier.await(10, TimeUnit.SECONDS);
                    lifecycle.shutdown();
                    future.complete(lifecycle.state());
                } catch (Exception e) {
                    future.completeExceptionally(e);
                }
            });
        }

        await().atMost(WAIT).until(() -> stopRuns.get() == 1);
        await().during(Duration.ofMillis(100)).atMost(WAIT)
               .until(() -> returned.stream().noneMatch(CompletableFuture::isDone));
        release.countDown();

        for (CompletableFuture<State> future : returned) {
            assertThat(future).succeedsWithin(WAIT).isEqualTo(State.STOPPED);
        }
        assertThat(stopRuns).hasValue(1);
        lifecycle.shutdown(); // and once more, after the end: returns at once
    }

    @Test
    void shutdownFromAStopActionReturnsAtOnce() {
        // Regression: a stop action calling shutdown() waited for the sequence that was waiting for it.
        Lifecycle lifecycle = builder().stopTimeout(Duration.ofSeconds(30)).build();
        lifecycle.start();
        AtomicBoolean returned = new AtomicBoolean();
        lifecycle.addStopAction("server", () -> {
            lifecycle.shutdown();
            returned.set(true);
        });

        assertThat(CompletableFuture.runAsync(lifecycle::shutdown)).succeedsWithin(WAIT);
        assertThat(returned).isTrue();
    }

    @Test
    void shutdownDuringStartupInterruptsTheTasksAndNeverBecomesReady() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        Lifecycle lifecycle = builder()
                .readinessCheck("always", () -> true)
                .startupTask(StartupTask.of("migrations", () -> {
                    running.countDown();
                    try {
                        new CountDownLatch(1).await(1, TimeUnit.MINUTES);
                    } catch (InterruptedException e) {
                        interrupted.countDown();
                        throw e;
                    }
                }))
                .startupTask(StartupTask.of("warmup", () -> { }).dependsOn("migrations"))
                .build();
        CompletableFuture<Void> start = CompletableFuture.runAsync(lifecycle::start);
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(lifecycle.health().isUp(Probe.LIVENESS)).isTrue();

        try (LogCapture log = new LogCapture()) {
            lifecycle.shutdown();

            assertThat(log.text()).contains("Shutdown during startup: interrupting startup tasks",
                                            "Startup task 'migrations' cancelled", "Stopped in")
                                  .doesNotContain("Ready in", "ERROR");
        }
        assertThat(interrupted.getCount()).isZero(); // shutdown waited for the interrupted task to end
        assertThat(start).failsWithin(WAIT).withThrowableThat().havingCause()
                         .isInstanceOf(StartupException.class)
                         .withMessage("Startup was interrupted by shutdown");
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
        assertThat(lifecycle.health().isUp(Probe.READINESS)).isFalse();
        assertThat(lifecycle.health().isUp(Probe.STARTUP)).isFalse();
        assertThat(lifecycle.tracker().tryEnter().admitted()).isFalse();
        assertThat(lifecycle.tasks()).extracting(Health.Task::status)
                                     .containsExactly(TaskStatus.CANCELLED, TaskStatus.CANCELLED);
    }

    @Test
    void startAfterShutdownFailsWithoutRunningTasks() {
        AtomicBoolean ran = new AtomicBoolean();
        Lifecycle lifecycle = builder().startupTask(StartupTask.of("migrations", () -> ran.set(true))).build();
        lifecycle.shutdown();

        assertThatThrownBy(lifecycle::start).isInstanceOf(StartupException.class)
                                            .hasMessage("Startup was interrupted by shutdown");
        assertThat(ran).isFalse();
    }

    @Test
    void aTaskThatHangsThroughItsInterruptIsWaitedForOnlyUpToTheStopTimeout() {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Lifecycle lifecycle = builder()
                .stopTimeout(Duration.ofMillis(200))
                .startupTask(StartupTask.of("stubborn", () -> {
                    running.countDown();
                    while (release.getCount() > 0) {
                        try {
                            release.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException ignored) {
                            // deliberately deaf to interrupts
                        }
                    }
                }))
                .build();
        CompletableFuture<Void> start = CompletableFuture.runAsync(lifecycle::start);
        try {
            assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
            try (LogCapture log = new LogCapture()) {
                lifecycle.shutdown();

                assertThat(log.text()).contains("WARN", "Startup task(s) [stubborn] still running 200 ms after "
                                                        + "being interrupted; going on");
            }
            assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
            assertThat(start).failsWithin(WAIT);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            release.countDown();
        }
    }

    @Test
    void shutdownAfterAFailedStartupKeepsTheFailedStateAndRunsStopActions() {
        Lifecycle lifecycle = builder()
                .startupTask(StartupTask.of("migrations", () -> {
                    throw new IllegalStateException("boom");
                }))
                .build();
        assertThatThrownBy(lifecycle::start).isInstanceOf(StartupException.class);
        AtomicBoolean stopped = new AtomicBoolean();
        lifecycle.addStopAction("pool", () -> stopped.set(true));

        lifecycle.shutdown();

        assertThat(stopped).isTrue();
        assertThat(lifecycle.state()).isEqualTo(State.FAILED);
    }

    @Test
    void addStopActionRejectsNulls() {
        Lifecycle lifecycle = builder().build();

        assertThatThrownBy(() -> lifecycle.addStopAction(null, () -> { }))
                .isInstanceOf(NullPointerException.class).hasMessage("name cannot be null");
        assertThatThrownBy(() -> lifecycle.addStopAction("server", null))
                .isInstanceOf(NullPointerException.class).hasMessage("action cannot be null");
    }
}
