package dev.lifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.lifecycle.core.internal.ReadyFile;
import dev.lifecycle.testing.BackgroundThreads;

class ReadyFileTest {

    @TempDir
    Path directory;

    private static LifecycleBuilder builder() {
        return Lifecycle.builder().environment(Map.of());
    }

    @Test
    void isWrittenWhenReadyAndDeletedAsSoonAsTheDrainBegins() throws Exception {
        Path readyFile = directory.resolve("ready");
        AtomicBoolean existedDuringStartup = new AtomicBoolean(true);
        Lifecycle lifecycle = builder()
                .readyFile(readyFile)
                .startupTask(StartupTask.of("migrations", () -> existedDuringStartup.set(Files.exists(readyFile))))
                .build();

        lifecycle.start();

        assertThat(existedDuringStartup).isFalse();
        assertThat(readyFile).isRegularFile().content().startsWith("ready ");
        assertThat(lifecycle.readyFile()).contains(readyFile.toAbsolutePath());
        try (var files = Files.list(directory)) {
            assertThat(files).containsExactly(readyFile); // no temporary file left behind
        }

        AtomicReference<Boolean> existedInStopAction = new AtomicReference<>();
        lifecycle.addStopAction("probe", () -> existedInStopAction.set(Files.exists(readyFile)));
        lifecycle.shutdown();

        assertThat(existedInStopAction).hasValue(false);
        assertThat(readyFile).doesNotExist();
    }

    @Test
    void isDeletedBeforeThePreStopDelay() throws Exception {
        Path readyFile = directory.resolve("ready");
        Lifecycle lifecycle = builder().readyFile(readyFile).preStopDelay(Duration.ofMinutes(1)).build();
        lifecycle.start();
        try (BackgroundThreads background = new BackgroundThreads()) {
            CompletableFuture<Void> shutdown = background.start("shutdown", lifecycle::shutdown);
            await().atMost(Duration.ofSeconds(10)).until(() -> lifecycle.state() == State.DRAINING);
            assertThat(readyFile).doesNotExist();
            assertThat(lifecycle.tracker().isClosed()).isFalse();

            lifecycle.endPreStopDelay();
            assertThat(shutdown).succeedsWithin(Duration.ofSeconds(10));
        }
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    @Test
    void aStaleFileIsRemovedAtStartBeforeAnyTaskRuns() throws Exception {
        Path readyFile = Files.writeString(directory.resolve("ready"), "ready, says a killed process");
        AtomicBoolean existedDuringStartup = new AtomicBoolean(true);
        Lifecycle lifecycle = builder()
                .readyFile(readyFile)
                .startupTask(StartupTask.of("migrations", () -> {
                    existedDuringStartup.set(Files.exists(readyFile));
                    throw new IllegalStateException("database down");
                }))
                .build();

        assertThatThrownBy(lifecycle::start).isInstanceOf(StartupException.class);

        assertThat(existedDuringStartup).isFalse();
        assertThat(readyFile).doesNotExist();
    }

    // Regression (issue 11, defect 1): a stale file survived until start(), after the server and the pool came up.
    @Test
    void aStaleFileIsRemovedAtBuild() throws Exception {
        Path readyFile = Files.writeString(directory.resolve("ready"), "ready 1 42 2026-01-01T00:00:00Z\n");

        builder().readyFile(readyFile).build();

        assertThat(readyFile).doesNotExist();
    }

    // Regression (issue 11, defect 1): the file said only "ready <time>", so no probe could tell a file left by a
    // killed process from the running one's.
    @Test
    void namesTheWritingProcessAndItsStartTimeSoTheProbeRejectsAnEarlierProcesssFile() throws Exception {
        Path stat = Path.of("/proc/self/stat");
        assumeTrue(Files.isReadable(stat), "Linux /proc");
        Path readyFile = directory.resolve("ready");
        Lifecycle lifecycle = builder().readyFile(readyFile).build();

        lifecycle.start();

        String selfStat = Files.readString(stat);
        String startTicks = selfStat.substring(selfStat.lastIndexOf(") ") + 2).split(" ")[19];
        long pid = ProcessHandle.current().pid();
        assertThat(Files.readString(readyFile)).matches("ready " + pid + " " + startTicks + " \\S+Z\n");
        assertThat(probe(readyFile)).isZero();
        // What a restarted container finds: its own PID (1, say), written by a process that started earlier.
        Files.writeString(readyFile, "ready " + pid + " " + (Long.parseLong(startTicks) - 1) + " 2026-01-01T00:00Z\n");
        assertThat(probe(readyFile)).isNotZero();
        Files.writeString(readyFile, "garbage\n");
        assertThat(probe(readyFile)).isNotZero();

        lifecycle.shutdown();

        assertThat(probe(readyFile)).isNotZero();
    }

    @Test
    void theProbeCommandQuotesAPathWithSpacesAndQuotes() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/stat")), "Linux /proc");
        Path readyFile = Files.createDirectory(directory.resolve("it's a \"dir\" $HOME")).resolve("ready");
        Lifecycle lifecycle = builder().readyFile(readyFile).build();

        lifecycle.start();

        assertThat(probe(readyFile)).isZero();
        lifecycle.shutdown();
        assertThat(probe(readyFile)).isNotZero();
    }

    private static int probe(Path readyFile) throws Exception {
        Process probe = new ProcessBuilder(ReadyFile.probeCommand(readyFile.toAbsolutePath()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(probe.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return probe.exitValue();
    }

    @Test
    void aMissingDirectoryIsAClearStartupErrorNamingThePath() {
        Path readyFile = directory.resolve("missing").resolve("ready");
        AtomicBoolean taskRan = new AtomicBoolean();
        Lifecycle lifecycle = builder().readyFile(readyFile)
                                       .startupTask(StartupTask.of("migrations", () -> taskRan.set(true)))
                                       .build();

        assertThatThrownBy(lifecycle::start)
                .isInstanceOfSatisfying(StartupException.class, e -> assertThat(e.taskName()).isNull())
                .hasMessage("readyFile: cannot write " + readyFile.toAbsolutePath() + ": IOException directory "
                            + readyFile.getParent().toAbsolutePath() + " does not exist");
        assertThat(lifecycle.state()).isEqualTo(State.FAILED);
        assertThat(taskRan).isFalse();
    }

    @Test
    void aParentThatIsNotADirectoryIsAClearStartupErrorNamingThePath() throws Exception {
        Path file = Files.writeString(directory.resolve("file"), "");
        Path readyFile = file.resolve("ready");
        Lifecycle lifecycle = builder().readyFile(readyFile).build();

        assertThatThrownBy(lifecycle::start)
                .isInstanceOf(StartupException.class)
                .hasMessage("readyFile: cannot write " + readyFile.toAbsolutePath() + ": IOException "
                            + file.toAbsolutePath() + " is not a directory");
        assertThat(lifecycle.state()).isEqualTo(State.FAILED);
    }

    @Test
    void aReadyFileThatCannotBeReplacedIsAClearStartupErrorNamingThePath() throws Exception {
        // Unlike a read-only directory, this fails for root too: a directory is never deleted to make room.
        Path readyFile = Files.createDirectory(directory.resolve("ready"));
        Files.writeString(readyFile.resolve("something"), "");
        Lifecycle lifecycle = builder().readyFile(readyFile).build();

        assertThatThrownBy(lifecycle::start)
                .isInstanceOf(StartupException.class)
                .hasMessage("readyFile: cannot write " + readyFile.toAbsolutePath() + ": IOException "
                            + readyFile.toAbsolutePath() + " is a directory");
        assertThat(lifecycle.state()).isEqualTo(State.FAILED);
    }

    @Test
    void isNeverWrittenWhenShutdownBeginsDuringStartup() throws Exception {
        Path readyFile = directory.resolve("ready");
        CountDownLatch taskRunning = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        Lifecycle lifecycle = builder().readyFile(readyFile)
                                       .startupTask(StartupTask.of("migrations", () -> {
                                           taskRunning.countDown();
                                           never.await(); // until interrupted by the shutdown
                                       }))
                                       .build();
        try (BackgroundThreads background = new BackgroundThreads()) {
            CompletableFuture<Void> started = background.start("start", lifecycle::start);
            assertThat(taskRunning.await(10, TimeUnit.SECONDS)).as("the startup task runs").isTrue();

            lifecycle.shutdown();

            assertThat(started).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class)
                               .havingCause().isInstanceOf(StartupException.class)
                               .withMessage("Startup was interrupted by shutdown");
        }
        assertThat(readyFile).doesNotExist();
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    @Test
    void isNeverWrittenWhenShutdownComesBeforeStart() throws Exception {
        Path readyFile = directory.resolve("ready");
        Lifecycle lifecycle = builder().readyFile(readyFile).build();
        lifecycle.shutdown();

        assertThatThrownBy(lifecycle::start).isInstanceOf(StartupException.class)
                                            .hasMessage("Startup was interrupted by shutdown");
        assertThat(readyFile).doesNotExist();
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }
}
