package dev.lifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Micrometer is an optional dependency: everything but {@link LifecycleMetrics} works without it. Run by the
 * {@code without-micrometer} surefire execution, whose class path has no Micrometer (see lifecycle-core's pom);
 * excluded from the default one.
 */
class WithoutMicrometerTest {

    @Test
    void micrometerIsNotOnTheClassPath() {
        assertThatThrownBy(() -> Class.forName("io.micrometer.core.instrument.MeterRegistry"))
                .isInstanceOf(ClassNotFoundException.class);
    }

    @Test
    void aWholeLifecycleRunsWithoutMicrometer() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of())
                                       .startupTask(StartupTask.of("migrations", () -> { }))
                                       .readinessCheck("database", () -> true)
                                       .drainTimeout(Duration.ofSeconds(5))
                                       .build();
        lifecycle.start();
        assertThat(lifecycle.probeResponse(Probe.READINESS, false).status()).isEqualTo(200);
        InflightRequest request = lifecycle.tracker().tryEnter("GET", "/users");
        assertThat(request.admitted()).isTrue();
        request.exit();

        lifecycle.shutdown();

        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
        assertThat(lifecycle.refusal().status()).isEqualTo(503);
    }
}
