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

            assertThat(log.text()).containsSubsequence("Draining: readiness down", "Drain began (serve-and-close): "
                                                       + "0 request(s) in flight (timeout 20.0 s)", "Drained in",
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
        Lifecycle lifecycle = builder().drainPolicy(DrainPolicy.REJECT_503).build();
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
    void drainTimeoutIsLoggedWithTheRequestsStillInFlightAndTheSequenceGoesOn() throws Exception {
        FakeTicker ticker = new FakeTicker();
        Lifecycle lifecycle = builder().ticker(ticker).drainTimeout(Duration.ofSeconds(20)).build();
        lifecycle.start();
        lifecycle.tracker().tryEnter("GET", "/orders/42?token=secret");
        ticker.advance(Duration.ofSeconds(1));
        lifecycle.tracker().tryEnter("POST", "/payments");
        AtomicBoolean stopped = new AtomicBoolean();
        lifecycle.addStopAction("server", () -> stopped.set(true));

        try (LogCapture log = new LogCapture()) {
            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(lifecycle::shutdown);
            ticker.awaitWaiters(1); // the drain
            ticker.advance(Duration.ofSeconds(19));
            assertThat(shutdown).isNotDone();
            ticker.advance(Duration.ofSeconds(1));
            assertThat(shutdown).succeedsWithin(WAIT);

            assertThat(log.text()).contains("WARN", "Drain timed out after 20.0 s with 2 request(s) and 0 long-lived "
                                                    + "request(s) still in flight; oldest: GET /orders/42 (age 21.0 s)"
                                                    + ", POST /payments (age 20.0 s)")
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
        Lifecycle lifecycle = builder().preStopDelay(Duration.ofMinutes(1)).drainPolicy(DrainPolicy.REJECT_503).build();
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
    void preStopDelayIsWaitedOut() throws Exception {
        FakeTicker ticker = new FakeTicker();
        Lifecycle lifecycle = builder().ticker(ticker).preStopDelay(Duration.ofSeconds(5)).build();
        lifecycle.start();

        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(lifecycle::shutdown);
        ticker.awaitWaiters(1);
        ticker.advance(Duration.ofMillis(4999));
        ticker.awaitWaiters(1); // still waiting
        assertThat(lifecycle.tracker().isDraining()).isFalse();
        ticker.advance(Duration.ofMillis(1));

        assertThat(shutdown).succeedsWithin(WAIT);
        assertThat(lifecycle.tracker().isDraining()).isTrue();
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    @Test
    void longLivedRequestsAreToldToEndWhenAdmissionClosesAndHaveTheirOwnBound() throws Exception {
        FakeTicker ticker = new FakeTicker();
        Lifecycle lifecycle = builder().ticker(ticker)
                                       .drainTimeout(Duration.ofMinutes(1))
                                       .longLivedDrainTimeout(Duration.ofSeconds(2))
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
            ticker.awaitWaiters(1); // the long-lived drain: the main one is over at once
            ticker.advance(Duration.ofSeconds(2)); // the main drain timeout is a minute: the long-lived bound applies
            assertThat(shutdown).succeedsWithin(WAIT);

            assertThat(log.text()).contains("Drain began (serve-and-close): 0 request(s) in flight and 1 "
                                            + "long-lived",
                                            "Drain timed out after 2.0 s",
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

    // Regression (issue 11, defect 7): one interrupt of the thread running shutdown() ended the pre-stop delay, made
    // the drain return at once and started every stop action without waiting for the one before. Each phase is
    // interrupted here; FakeTicker.awaitWaitsBegun tells when the thread has moved to its next wait, so each check
    // sees where the interrupt took it.
    @Test
    void interruptsOfTheShutdownThreadNeitherEndAWaitEarlyNorReorderTheSequence() throws Exception {
        FakeTicker ticker = new FakeTicker();
        Lifecycle lifecycle = builder().ticker(ticker)
                                       .preStopDelay(Duration.ofSeconds(5))
                                       .drainTimeout(Duration.ofSeconds(20))
                                       .stopTimeout(Duration.ofSeconds(5))
                                       .build();
        lifecycle.start();
        InflightRequest request = lifecycle.tracker().tryEnter("GET", "/slow");
        List<String> events = new CopyOnWriteArrayList<>();
        CountDownLatch serverStopping = new CountDownLatch(1);
        CountDownLatch releaseServer = new CountDownLatch(1);
        lifecycle.addStopAction("database pool", () -> events.add("pool stopped"));
        lifecycle.addStopAction("http server", () -> {
            serverStopping.countDown();
            releaseServer.await(10, TimeUnit.SECONDS);
            events.add("server stopped");
        });
        CompletableFuture<Boolean> flagAfterShutdown = new CompletableFuture<>();

        try (LogCapture log = new LogCapture()) {
            Thread shutdown = background.startThread("shutdown", () -> {
                lifecycle.shutdown();
                flagAfterShutdown.complete(Thread.currentThread().isInterrupted());
            });
            // 1. the pre-stop delay
            ticker.awaitWaiters(1);
            int waits = ticker.waitsBegun();
            shutdown.interrupt();
            ticker.awaitWaitsBegun(waits + 1);
            assertThat(lifecycle.tracker().isDraining()).as("the drain has not begun: the delay goes on").isFalse();
            ticker.advance(Duration.ofSeconds(5));

            // 2. the drain
            await().atMost(WAIT).until(() -> lifecycle.tracker().isDraining());
            ticker.awaitWaiters(1);
            waits = ticker.waitsBegun();
            shutdown.interrupt();
            ticker.awaitWaitsBegun(waits + 1);
            assertThat(lifecycle.drainDuration()).as("the drain goes on").isEmpty();
            request.exit();

            // 3. a stop action
            assertThat(serverStopping.await(10, TimeUnit.SECONDS)).isTrue();
            ticker.awaitWaiters(1);
            waits = ticker.waitsBegun();
            shutdown.interrupt();
            ticker.awaitWaitsBegun(waits + 1);
            assertThat(events).as("the pool waits for the server").isEmpty();
            releaseServer.countDown();

            assertThat(flagAfterShutdown).succeedsWithin(WAIT).as("interrupt flag restored at the end").isEqualTo(true);
            assertThat(events).containsExactly("server stopped", "pool stopped");
            assertThat(lifecycle.drainDuration()).contains(Duration.ZERO);
            assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
            assertThat(log.text()).containsSubsequence("Draining: readiness down", "Drain began", "Drained in",
                                                       "Stop action 'http server' done",
                                                       "Stop action 'database pool' done", "Stopped in")
                                  .doesNotContain("Interrupted while waiting", "Drain timed out");
        } finally {
            releaseServer.countDown();
        }
    }

    // Regression (issue 11, defect 7), the drain alone: an interrupt made it return at once, requests in flight.
    @Test
    void anInterruptDuringTheDrainDoesNotEndIt() throws Exception {
        FakeTicker ticker = new FakeTicker();
        Lifecycle lifecycle = builder().ticker(ticker).drainTimeout(Duration.ofSeconds(20)).build();
        lifecycle.start();
        InflightRequest request = lifecycle.tracker().tryEnter("GET", "/slow");
        AtomicBoolean stopped = new AtomicBoolean();
        lifecycle.addStopAction("http server", () -> stopped.set(true));
        Thread shutdown = background.startThread("shutdown", lifecycle::shutdown);

        ticker.awaitWaiters(1);
        int waits = ticker.waitsBegun();
        shutdown.interrupt();
        ticker.awaitWaitsBegun(waits + 1); // the drain again or, wrongly, the stop action
        assertThat(lifecycle.drainDuration()).as("the drain goes on").isEmpty();
        ticker.advance(Duration.ofSeconds(19));
        assertThat(stopped).isFalse();
        request.exit();

        await().atMost(WAIT).until(() -> lifecycle.state() == State.STOPPED);
        assertThat(lifecycle.drainDuration()).contains(Duration.ofSeconds(19));
        assertThat(stopped).isTrue();
    }

    // Regression (issue 11, defect 7), a stop action alone: an interrupt started the next one while it still ran.
    @Test
    void anInterruptDuringAStopActionDoesNotStartTheNextOne() throws Exception {
        FakeTicker ticker = new FakeTicker();
        Lifecycle lifecycle = builder().ticker(ticker).stopTimeout(Duration.ofSeconds(5)).build();
        lifecycle.start();
        List<String> events = new CopyOnWriteArrayList<>();
        CountDownLatch serverStopping = new CountDownLatch(1);
        CountDownLatch releaseServer = new CountDownLatch(1);
        lifecycle.addStopAction("database pool", () -> events.add("pool stopped"));
        lifecycle.addStopAction("http server", () -> {
            serverStopping.countDown();
            releaseServer.await(10, TimeUnit.SECONDS);
            events.add("server stopped");
        });
        Thread shutdown = background.startThread("shutdown", lifecycle::shutdown);
        try {
            assertThat(serverStopping.await(10, TimeUnit.SECONDS)).isTrue();
            ticker.awaitWaiters(1);
            int waits = ticker.waitsBegun();
            shutdown.interrupt();
            ticker.awaitWaitsBegun(waits + 1); // the server's action again or, wrongly, the pool's
            assertThat(events).isEmpty();
        } finally {
            releaseServer.countDown();
        }

        await().atMost(WAIT).until(() -> lifecycle.state() == State.STOPPED);
        assertThat(events).containsExactly("server stopped", "pool stopped");
    }

    // Regression (issue 11, defect 7): shutdown() called from a catch block of InterruptedException, the flag still
    // set, skipped the pre-stop delay and the drain.
    @Test
    void shutdownCalledWithTheInterruptFlagSetStillServesThePreStopDelayAndDrains() throws Exception {
        FakeTicker ticker = new FakeTicker();
        Lifecycle lifecycle = builder().ticker(ticker).preStopDelay(Duration.ofSeconds(5)).build();
        lifecycle.start();
        InflightRequest request = lifecycle.tracker().tryEnter("GET", "/slow");
        CompletableFuture<Boolean> flagAfterShutdown = new CompletableFuture<>();
        background.start("background", () -> {
            Thread.currentThread().interrupt();
            lifecycle.shutdown();
            flagAfterShutdown.complete(Thread.interrupted());
        });

        ticker.awaitWaitsBegun(2); // the delay, then (interrupted) the delay again or, wrongly, the drain
        assertThat(lifecycle.tracker().isDraining()).as("the drain has not begun: the delay goes on").isFalse();
        ticker.advance(Duration.ofSeconds(5));
        await().atMost(WAIT).until(() -> lifecycle.tracker().isDraining());
        ticker.awaitWaiters(1);
        assertThat(flagAfterShutdown).as("the drain waits for the request").isNotDone();
        request.exit();

        assertThat(flagAfterShutdown).succeedsWithin(WAIT).isEqualTo(true);
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    @Test
    void stopActionsThatThrowOrHangAreLoggedBoundedAndTheNextOneStillRuns() throws Exception {
        FakeTicker ticker = new FakeTicker();
        Lifecycle lifecycle = builder().ticker(ticker).stopTimeout(Duration.ofSeconds(5)).build();
        lifecycle.start();
        List<String> ran = new CopyOnWriteArrayList<>();
        CountDownLatch hangingRuns = new CountDownLatch(1);
        CountDownLatch hangingInterrupted = new CountDownLatch(1);
        lifecycle.addStopAction("database pool", () -> ran.add("database pool"));
        lifecycle.addStopAction("hanging client", () -> {
            ran.add("hanging client");
            hangingRuns.countDown();
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
            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(lifecycle::shutdown);
            assertThat(hangingRuns.await(10, TimeUnit.SECONDS)).isTrue();
            ticker.awaitWaiters(1);
            ticker.advance(Duration.ofSeconds(5));
            assertThat(shutdown).succeedsWithin(WAIT);

            assertThat(log.text()).contains("Stop action 'broken cache' failed; going on",
                                            "cache already closed",
                                            "Stop action 'hanging client' did not finish within 5.0 s; "
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

    @Test
    void aShutdownNotRunByTheHookRemovesTheHookSoNothingHoldsTheLifecycle() {
        Lifecycle lifecycle = builder().shutdownHook(true).build();
        Thread hook = lifecycle.shutdownHook();
        lifecycle.start();

        lifecycle.shutdown();

        // false: the hook was no longer registered (an undeployed WAR's class loader can be collected)
        assertThat(Runtime.getRuntime().removeShutdownHook(hook)).isFalse();
        assertThat(builder().build().shutdownHook()).isNull();
    }
}
