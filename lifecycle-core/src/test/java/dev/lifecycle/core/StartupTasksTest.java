package dev.lifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.assertj.core.groups.Tuple;

import dev.lifecycle.core.Health.TaskStatus;
import dev.lifecycle.testing.BackgroundThreads;
import dev.lifecycle.testing.LogCapture;

class StartupTasksTest {

    @TempDir
    Path directory;

    private static LifecycleBuilder builder() {
        return Lifecycle.builder().environment(Map.of());
    }

    @Test
    void independentTasksRunInParallel() {
        CountDownLatch firstRunning = new CountDownLatch(1);
        CountDownLatch secondRunning = new CountDownLatch(1);
        // Each task waits for the other to be running: both succeed only if they overlap.
        Lifecycle lifecycle = builder()
                .startupTask(StartupTask.of("first", () -> meet(firstRunning, secondRunning)))
                .startupTask(StartupTask.of("second", () -> meet(secondRunning, firstRunning)))
                .build();

        lifecycle.start();

        assertThat(lifecycle.state()).isEqualTo(State.READY);
        assertThat(lifecycle.tasks()).extracting(Health.Task::status)
                                     .containsExactly(TaskStatus.SUCCEEDED, TaskStatus.SUCCEEDED);
    }

    private static void meet(CountDownLatch mine, CountDownLatch other) throws InterruptedException {
        mine.countDown();
        if (!other.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the other task never ran at the same time");
        }
    }

    @Test
    void dependentTasksRunInTheOrderOfTheirDependencies() {
        List<String> events = new CopyOnWriteArrayList<>();
        Lifecycle lifecycle = builder()
                .startupTask(StartupTask.of("warmup", () -> record(events, "warmup")).dependsOn("migrations", "cache"))
                .startupTask(StartupTask.of("cache", () -> record(events, "cache")).dependsOn("migrations"))
                .startupTask(StartupTask.of("migrations", () -> record(events, "migrations")))
                .build();

        lifecycle.start();

        assertThat(events).containsExactly("migrations start", "migrations end", "cache start", "cache end",
                                           "warmup start", "warmup end");
        assertThat(lifecycle.tasks()).extracting(Health.Task::name).containsExactly("warmup", "cache", "migrations");
    }

    private static void record(List<String> events, String name) {
        events.add(name + " start");
        events.add(name + " end");
    }

    @Test
    void aCycleIsRejectedAtBuild() {
        LifecycleBuilder builder = builder()
                .startupTask(StartupTask.of("a", () -> { }).dependsOn("c"))
                .startupTask(StartupTask.of("b", () -> { }).dependsOn("a"))
                .startupTask(StartupTask.of("c", () -> { }).dependsOn("b"));

        assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class)
                                          .hasMessage("startupTask: dependency cycle a -> c -> b -> a");
    }

    @Test
    void aTaskDependingOnItselfIsACycle() {
        LifecycleBuilder builder = builder().startupTask(StartupTask.of("a", () -> { }).dependsOn("a"));

        assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class)
                                          .hasMessage("startupTask: dependency cycle a -> a");
    }

    @Test
    void anUnknownDependencyIsRejectedAtBuild() {
        LifecycleBuilder builder = builder().startupTask(StartupTask.of("warmup", () -> { }).dependsOn("migration"));

        assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class)
                                          .hasMessage("startupTask 'warmup' depends on unknown task 'migration'");
    }

    @Test
    void duplicateTaskNamesAreRejectedAtBuild() {
        LifecycleBuilder builder = builder().startupTask(StartupTask.of("migrations", () -> { }))
                                            .startupTask(StartupTask.of("migrations", () -> { }));

        assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class)
                                          .hasMessage("startupTask: duplicate name 'migrations'");
    }

    @Test
    void aFailingTaskFailsStartupNamesTheTaskAndCancelsTheOthers() throws Exception {
        Path readyFile = directory.resolve("ready");
        CountDownLatch slowRunning = new CountDownLatch(1);
        CountDownLatch slowInterrupted = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        Lifecycle lifecycle = builder()
                .readyFile(readyFile)
                .startupTask(StartupTask.of("cache", () -> {
                    slowRunning.countDown();
                    try {
                        never.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        slowInterrupted.countDown();
                        throw e;
                    }
                }))
                .startupTask(StartupTask.of("migrations", () -> {
                    slowRunning.await(10, TimeUnit.SECONDS);
                    throw new IllegalStateException("V7__orders.sql: syntax error");
                }))
                .startupTask(StartupTask.of("warmup", never::countDown).dependsOn("migrations"))
                .build();

        try (LogCapture log = new LogCapture()) {
            assertThatThrownBy(lifecycle::start)
                    .isInstanceOfSatisfying(StartupException.class, e -> {
                        assertThat(e.taskName()).isEqualTo("migrations");
                        assertThat(e).hasMessage("Startup task 'migrations' failed: "
                                                 + "java.lang.IllegalStateException: V7__orders.sql: syntax error")
                                     .hasCauseInstanceOf(IllegalStateException.class);
                    });
            assertThat(slowInterrupted.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(log.text()).contains("ERROR", "Startup task 'migrations' failed",
                                            "V7__orders.sql: syntax error");
        }

        assertThat(lifecycle.state()).isEqualTo(State.FAILED);
        assertThat(never.getCount()).as("warmup never ran").isEqualTo(1);
        assertThat(readyFile).doesNotExist();
        assertThat(lifecycle.tracker().tryEnter().admitted()).isFalse();
        Health health = lifecycle.health();
        assertThat(health.isUp(Probe.READINESS)).isFalse();
        assertThat(health.isUp(Probe.STARTUP)).isFalse();
        assertThat(health.isUp(Probe.LIVENESS)).isFalse();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(lifecycle.tasks())
                .extracting(Health.Task::name, Health.Task::status)
                .containsExactly(Tuple.tuple("cache", TaskStatus.CANCELLED),
                                 Tuple.tuple("migrations", TaskStatus.FAILED),
                                 Tuple.tuple("warmup", TaskStatus.CANCELLED)));
        assertThat(lifecycle.tasks().get(1).error())
                .isEqualTo("java.lang.IllegalStateException: V7__orders.sql: syntax error");
    }

    @Test
    void aTaskRunningPastItsTimeoutFailsStartupAndIsInterrupted() throws Exception {
        CountDownLatch interrupted = new CountDownLatch(1);
        Lifecycle lifecycle = builder()
                .startupTask(StartupTask.of("migrations", () -> {
                    try {
                        new CountDownLatch(1).await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        interrupted.countDown();
                        throw e;
                    }
                }).timeout(Duration.ofMillis(100)))
                .build();

        try (LogCapture log = new LogCapture()) {
            assertThatThrownBy(lifecycle::start)
                    .isInstanceOfSatisfying(StartupException.class,
                                            e -> assertThat(e.taskName()).isEqualTo("migrations"))
                    .hasMessage("Startup task 'migrations' timed out after 100 ms");
            assertThat(log.text()).contains("ERROR", "Startup task 'migrations' timed out after 100 ms");
        }
        assertThat(interrupted.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(lifecycle.state()).isEqualTo(State.FAILED);
        Health.Task task = lifecycle.tasks().get(0);
        assertThat(task.status()).isEqualTo(TaskStatus.TIMED_OUT);
        assertThat(task.error()).isEqualTo("timed out after 100 ms");
    }

    @Test
    void aTaskFinishingWithinItsTimeoutSucceeds() {
        Lifecycle lifecycle = builder()
                .startupTask(StartupTask.of("quick", () -> { }).timeout(Duration.ofMinutes(1)))
                .build();

        lifecycle.start();

        assertThat(lifecycle.state()).isEqualTo(State.READY);
        assertThat(lifecycle.tasks().get(0).status()).isEqualTo(TaskStatus.SUCCEEDED);
    }

    @Test
    void withoutTasksStartMakesTheServiceReadyAndOpensAdmission() {
        Lifecycle lifecycle = builder().build();
        assertThat(lifecycle.tracker().tryEnter().admitted()).isFalse();

        lifecycle.start();

        assertThat(lifecycle.state()).isEqualTo(State.READY);
        assertThat(lifecycle.tracker().tryEnter().admitted()).isTrue();
    }

    @Test
    void startTwiceIsAnError() {
        Lifecycle lifecycle = builder().build();
        lifecycle.start();

        assertThatThrownBy(lifecycle::start).isInstanceOf(IllegalStateException.class)
                                            .hasMessage("start() was already called");
    }

    @Test
    void taskStatusesAreVisibleWhileStartupRuns() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Lifecycle lifecycle = builder()
                .startupTask(StartupTask.of("migrations", () -> {
                    running.countDown();
                    release.await(10, TimeUnit.SECONDS);
                }))
                .startupTask(StartupTask.of("warmup", () -> { }).dependsOn("migrations"))
                .build();
        try (BackgroundThreads background = new BackgroundThreads()) {
            CompletableFuture<Void> started = background.start("start", lifecycle::start);
            assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(lifecycle.tasks()).extracting(Health.Task::status)
                                         .containsExactly(TaskStatus.RUNNING, TaskStatus.PENDING);
            assertThat(lifecycle.state()).isEqualTo(State.STARTING);

            release.countDown();
            assertThat(started).succeedsWithin(Duration.ofSeconds(10));
        } finally {
            release.countDown();
        }
        assertThat(lifecycle.state()).isEqualTo(State.READY);
    }

    @Test
    void aTaskWithABlankNameOrNonPositiveTimeoutIsRejected() {
        assertThatThrownBy(() -> StartupTask.of(" ", () -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("startupTask name: ' ' (expected: not blank)");
        assertThatThrownBy(() -> StartupTask.of("migrations", () -> { }).timeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("startupTask 'migrations' timeout: PT0S (expected: > 0)");
        assertThatThrownBy(() -> StartupTask.of(null, () -> { }))
                .isInstanceOf(NullPointerException.class).hasMessage("name cannot be null");
        assertThatThrownBy(() -> StartupTask.of("migrations", null))
                .isInstanceOf(NullPointerException.class).hasMessage("body cannot be null");
    }

    @Test
    void startupTaskIsImmutable() {
        StartupTask task = StartupTask.of("warmup", () -> { });
        StartupTask dependent = task.dependsOn("migrations");

        assertThat(task.dependencies()).isEmpty();
        assertThat(dependent.dependencies()).containsExactly("migrations");
        assertThat(task.timeout()).isEmpty();
    }
}
