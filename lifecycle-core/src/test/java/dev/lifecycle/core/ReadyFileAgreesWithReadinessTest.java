package dev.lifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ready-file (what an {@code exec: cat} readiness probe reads) and {@code health(Probe.READINESS)} (what the HTTP
 * readiness probe answers) agree in every state, also while a readiness check fails (issue 11, defect 6).
 */
class ReadyFileAgreesWithReadinessTest {

    private static final Duration GENEROUS = Duration.ofSeconds(30);

    @TempDir
    Path directory;

    private final AtomicBoolean databaseUp = new AtomicBoolean(true);

    private LifecycleBuilder builder(Path readyFile) {
        return Lifecycle.builder().environment(Map.of())
                        .readyFile(readyFile)
                        .readyFileRefreshInterval(Duration.ofMillis(20))
                        .healthCheckMaxAge(Duration.ZERO)
                        .healthCheckTimeout(Duration.ofMinutes(5)) // instant checks: never timed out
                        .readinessCheck("database", databaseUp::get);
    }

    /** Asks the HTTP probe's question and reads the exec probe's answer: they must be the same. */
    private static boolean assertAgree(Lifecycle lifecycle, Path readyFile, String when) {
        boolean up = lifecycle.health(Probe.READINESS).isUp(Probe.READINESS);
        assertThat(Files.exists(readyFile)).as("ready-file exists %s (readiness %s)", when, up ? "UP" : "DOWN")
                                           .isEqualTo(up);
        return up;
    }

    @Test
    void agreeInEveryStateFromStartToStop() throws Exception {
        Path readyFile = directory.resolve("ready");
        CountDownLatch migrating = new CountDownLatch(1);
        CountDownLatch finishMigrations = new CountDownLatch(1);
        Lifecycle lifecycle = builder(readyFile)
                .preStopDelay(Duration.ofMinutes(1))
                .startupTask(StartupTask.of("migrations", () -> {
                    migrating.countDown();
                    finishMigrations.await(GENEROUS.toSeconds(), TimeUnit.SECONDS);
                }))
                .build();
        Thread starter = new Thread(lifecycle::start);
        starter.start();
        assertThat(migrating.await(GENEROUS.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(assertAgree(lifecycle, readyFile, "while STARTING")).isFalse();

        finishMigrations.countDown();
        starter.join(GENEROUS.toMillis());
        assertThat(lifecycle.state()).isEqualTo(State.READY);
        assertThat(assertAgree(lifecycle, readyFile, "READY, checks up")).isTrue();

        databaseUp.set(false);
        assertThat(assertAgree(lifecycle, readyFile, "READY, a check down")).isFalse();
        databaseUp.set(true);
        assertThat(assertAgree(lifecycle, readyFile, "READY, the check up again")).isTrue();

        databaseUp.set(false);
        await("the background round deletes the file without any probe")
                .atMost(GENEROUS).until(() -> !Files.exists(readyFile));
        assertThat(assertAgree(lifecycle, readyFile, "READY, a check down, seen in the background")).isFalse();
        databaseUp.set(true);
        await("the background round writes it again").atMost(GENEROUS).until(() -> Files.exists(readyFile));
        assertThat(Files.readString(readyFile)).startsWith("ready ");
        assertThat(assertAgree(lifecycle, readyFile, "READY, the check up again, seen in the background")).isTrue();

        Thread shutdown = new Thread(lifecycle::shutdown);
        shutdown.start();
        try {
            await().atMost(GENEROUS).until(() -> lifecycle.state() == State.DRAINING);
            assertThat(assertAgree(lifecycle, readyFile, "DRAINING")).isFalse();
            databaseUp.set(false);
            assertThat(assertAgree(lifecycle, readyFile, "DRAINING, a check down")).isFalse();
            databaseUp.set(true);
            assertThat(assertAgree(lifecycle, readyFile, "DRAINING, the check up again")).isFalse();
        } finally {
            lifecycle.endPreStopDelay();
            shutdown.join(GENEROUS.toMillis());
        }
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
        assertThat(assertAgree(lifecycle, readyFile, "STOPPED")).isFalse();
        try (var files = Files.list(directory)) {
            assertThat(files).as("no temporary file left behind").isEmpty();
        }
    }

    @Test
    void aReadinessCheckDownWhenStartupEndsKeepsTheFileAwayUntilItPasses() {
        Path readyFile = directory.resolve("ready");
        databaseUp.set(false);
        Lifecycle lifecycle = builder(readyFile).build();
        try {
            lifecycle.start();

            assertThat(lifecycle.state()).isEqualTo(State.READY);
            assertThat(assertAgree(lifecycle, readyFile, "READY, a check down from the start")).isFalse();
            databaseUp.set(true);
            await().atMost(GENEROUS).until(() -> Files.exists(readyFile));
            assertThat(assertAgree(lifecycle, readyFile, "READY, the check up")).isTrue();
        } finally {
            lifecycle.shutdown();
        }
        assertThat(readyFile).doesNotExist();
    }

    @Test
    void agreeWhenStartupFailed() {
        Path readyFile = directory.resolve("ready");
        Lifecycle lifecycle = builder(readyFile)
                .startupTask(StartupTask.of("migrations", () -> {
                    throw new IllegalStateException("V3 failed");
                }))
                .build();

        assertThatThrownBy(lifecycle::start).isInstanceOf(StartupException.class);

        assertThat(lifecycle.state()).isEqualTo(State.FAILED);
        assertThat(assertAgree(lifecycle, readyFile, "FAILED")).isFalse();
    }
}
