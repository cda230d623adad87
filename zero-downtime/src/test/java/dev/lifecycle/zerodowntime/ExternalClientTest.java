package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client process of a run ({@link LoadClient}) that dies, or is still running when told to stop, cannot lose its
 * requests silently: the run fails, naming the client.
 */
class ExternalClientTest {

    @TempDir
    Path directory;
    private Backend backend;
    private ExternalClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.kill();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private ExternalClient start(Duration readTimeout) throws Exception {
        client = ExternalClient.java("raw", List.of(), "127.0.0.1", backend.port(), 20, 2, 0, 0,
                Duration.ofSeconds(1), readTimeout, List.of("GET /x"), "X-Instance", new Timeline(), directory);
        client.awaitStarted(Duration.ofSeconds(60));
        return client;
    }

    @Test
    void clientThatRanToTheEndHandsOverEveryScheduledRequest() throws Exception {
        backend = Backend.hello("a");
        ExternalClient raw = start(Duration.ofSeconds(5));

        ClientRecords records = raw.stop(Duration.ofSeconds(60));

        assertThat(records.client).isEqualTo("raw");
        assertThat(records.records).hasSize((int) records.scheduled);
        assertThat(records.reconnectsObservable).isTrue();
    }

    @Test
    void clientProcessThatDiedIsAFailureOfTheRunNotAnEmptyResult() throws Exception {
        backend = Backend.hello("a");
        ExternalClient raw = start(Duration.ofSeconds(5));
        raw.process.destroyForcibly();
        assertThat(raw.process.waitFor(10, TimeUnit.SECONDS)).isTrue();

        assertThatThrownBy(() -> raw.stop(Duration.ofSeconds(10))).isInstanceOf(IOException.class)
                .hasMessageStartingWith("client raw exited with 137 without its records; see ");
    }

    @Test
    void clientStillRunningWhenToldToStopIsAFailureOfTheRun() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        backend = Backend.of("a", exchange -> {
            if (exchange.isInIoThread()) {
                exchange.dispatch(() -> {
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    exchange.getResponseSender().send("late");
                });
            }
        });
        try {
            // a request stuck for the read timeout keeps the client busy for longer than the bound
            ExternalClient raw = start(Duration.ofSeconds(20));

            assertThatThrownBy(() -> raw.stop(Duration.ofSeconds(1))).isInstanceOf(IOException.class)
                    .hasMessageStartingWith("client raw still running PT1S after it was told to stop; see ");
            assertThat(raw.process.waitFor(10, TimeUnit.SECONDS)).as("killed").isTrue();
        } finally {
            release.countDown();
        }
    }
}
