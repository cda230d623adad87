package dev.lifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lifecycle.testing.BackgroundThreads;
import dev.lifecycle.testing.LogCapture;

/**
 * The drain's quiet period: under serve-and-close, admission stays open until a whole period passed with nothing in
 * flight and nothing admitted, so that a request a pooled client wrote as the drain began (HTTP/1.1's idle-close
 * race) is served instead of refused.
 */
class DrainQuietPeriodTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration QUIET = Duration.ofMillis(500);

    private final BackgroundThreads background = new BackgroundThreads(WAIT);
    private final FakeTicker ticker = new FakeTicker();

    @AfterEach
    void joinThreads() {
        background.close();
    }

    private LifecycleBuilder builder() {
        return Lifecycle.builder().environment(Map.of()).ticker(ticker);
    }

    @Test
    void aRequestArrivingAfterTheDrainFoundNothingInFlightIsServedAndStartsThePeriodAgain() throws Exception {
        Lifecycle lifecycle = builder().drainQuietPeriod(QUIET).build();
        lifecycle.start();

        CompletableFuture<Void> shutdown = background.start("shutdown", lifecycle::shutdown);
        ticker.awaitWaitsBegun(1); // the quiet period's first round: the drain began with nothing in flight
        assertThat(lifecycle.tracker().isDraining()).isTrue();
        InflightRequest late = lifecycle.tracker().tryEnter("POST", "/users");
        assertThat(late.admitted()).as("admitted in the quiet period although nothing was in flight").isTrue();
        late.exit();
        assertThat(lifecycle.tracker().isClosed()).isFalse();

        ticker.advance(QUIET);
        ticker.awaitWaitsBegun(2); // a request was admitted in that round: another one
        assertThat(lifecycle.tracker().isClosed()).isFalse();
        assertThat(shutdown).isNotDone();

        ticker.advance(QUIET);
        assertThat(shutdown).succeedsWithin(WAIT);
        assertThat(lifecycle.tracker().isClosed()).isTrue();
        assertThat(lifecycle.tracker().tryEnter("GET", "/users").admitted()).isFalse();
        assertThat(lifecycle.tracker().servedWhileDraining()).isEqualTo(1);
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    @Test
    void withoutAQuietPeriodAdmissionClosesTheMomentTheDrainFindsNothingInFlight() {
        Lifecycle lifecycle = builder().build();
        lifecycle.start();

        lifecycle.shutdown();

        assertThat(lifecycle.tracker().isClosed()).isTrue();
        assertThat(lifecycle.tracker().tryEnter("POST", "/users").admitted()).isFalse();
    }

    @Test
    void aRequestInFlightThroughoutEndsThePeriodAtTheDrainTimeout() throws Exception {
        Lifecycle lifecycle = builder().drainQuietPeriod(QUIET).drainTimeout(Duration.ofSeconds(2)).build();
        lifecycle.start();
        InflightRequest slow = lifecycle.tracker().tryEnter("GET", "/slow");

        try (LogCapture log = new LogCapture()) {
            CompletableFuture<Void> shutdown = background.start("shutdown", lifecycle::shutdown);
            ticker.awaitWaitsBegun(1);
            ticker.advance(Duration.ofSeconds(2));

            assertThat(shutdown).succeedsWithin(WAIT);
            assertThat(log.text()).contains("quiet period 500 ms", "Drain timed out after 2.0 s with 1 request(s)");
        }
        assertThat(lifecycle.tracker().inflight()).isEqualTo(1);
        slow.exit();
    }

    @Test
    void rejectingPoliciesRefuseAtOnceWhateverTheQuietPeriod() {
        Lifecycle lifecycle = builder().drainPolicy(DrainPolicy.REJECT_503).drainQuietPeriod(QUIET).build();
        lifecycle.start();

        lifecycle.shutdown(); // no wait on the ticker: it would never end without the test advancing it

        assertThat(lifecycle.tracker().tryEnter("GET", "/users").admitted()).isFalse();
    }

    @Test
    void theEnvironmentSetsItAndABadValueNamesTheVariable() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of("LIFECYCLE_DRAIN_QUIET_PERIOD", "250ms")).build();
        assertThat(lifecycle.config().drainQuietPeriod()).isEqualTo(Duration.ofMillis(250));

        assertThatThrownBy(() -> Lifecycle.builder().environment(Map.of("LIFECYCLE_DRAIN_QUIET_PERIOD", "soon"))
                                          .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("LIFECYCLE_DRAIN_QUIET_PERIOD").hasMessageContaining("soon");
        assertThatThrownBy(() -> Lifecycle.builder().drainQuietPeriod(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("drainQuietPeriod");
    }
}
