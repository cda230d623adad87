package dev.lifecycle.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

class BackgroundThreadsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void theFutureCompletesWhenTheActionReturnsOnANamedDaemonThread() {
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        try (BackgroundThreads background = new BackgroundThreads()) {
            CompletableFuture<Void> done = background.start("shutdown", () -> ranOn.set(Thread.currentThread()));

            assertThat(done).succeedsWithin(WAIT);
        }
        assertThat(ranOn.get().getName()).isEqualTo("test-shutdown");
        assertThat(ranOn.get().isDaemon()).isTrue();
    }

    @Test
    void theFutureCompletesExceptionallyWithWhatTheActionThrew() {
        try (BackgroundThreads background = new BackgroundThreads()) {
            CompletableFuture<Void> done = background.start("start", () -> {
                throw new IllegalStateException("startup failed");
            });

            assertThat(done).failsWithin(WAIT).withThrowableOfType(ExecutionException.class)
                            .withCauseInstanceOf(IllegalStateException.class)
                            .withMessageContaining("startup failed");
        }
    }

    @Test
    void closeInterruptsAThreadStillWaitingAndWaitsForItToEnd() {
        CountDownLatch never = new CountDownLatch(1);
        AtomicReference<Boolean> interrupted = new AtomicReference<>();
        BackgroundThreads background = new BackgroundThreads();
        CompletableFuture<Void> done = background.start("waiting", () -> {
            try {
                never.await();
                interrupted.set(false);
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
        });

        background.close();

        assertThat(done).isDone();
        assertThat(interrupted.get()).isTrue();
    }

    @Test
    void closeNamesAThreadDeafToInterruptsStillRunningAfterTheJoinTimeout() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        BackgroundThreads background = new BackgroundThreads(Duration.ofMillis(50));
        CompletableFuture<Void> done = background.start("deaf", () -> {
            while (true) {
                try {
                    release.await();
                    return;
                } catch (InterruptedException deaf) {
                    // keeps waiting: the case under test
                }
            }
        });
        try {
            assertThatThrownBy(background::close).isInstanceOf(AssertionError.class)
                                                 .hasMessage("Still running 50 ms after the test: [test-deaf]");
        } finally {
            release.countDown();
        }
        assertThat(done).succeedsWithin(WAIT);
    }

    @Test
    void rejectsANonPositiveJoinTimeout() {
        assertThatThrownBy(() -> new BackgroundThreads(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("joinTimeout: PT0S (expected: > 0)");
    }
}
