package dev.lifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class LifecycleMetricsTest {

    @Test
    void metersReadTheLifecycleLiveState() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of())
                                       .startupTask(StartupTask.of("migrations", () -> { }))
                                       .startupTask(StartupTask.of("never", () -> {
                                           throw new IllegalStateException("boom");
                                       }).dependsOn("migrations"))
                                       .build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new LifecycleMetrics(lifecycle).bindTo(registry);

        assertThat(state(registry, State.STARTING)).isEqualTo(1.0);
        assertThat(state(registry, State.READY)).isZero();
        assertThat(taskTimer(registry, "migrations").count()).isZero();
        lifecycle.tracker().tryEnter(); // refused: not ready
        assertThat(registry.get("lifecycle.requests.refused").functionCounter().count()).isEqualTo(1.0);

        assertThatThrownBy(lifecycle::start).isInstanceOf(StartupException.class);
        assertThat(state(registry, State.FAILED)).isEqualTo(1.0);
        assertThat(state(registry, State.STARTING)).isZero();
        assertThat(taskTimer(registry, "migrations").count()).isEqualTo(1.0);
        assertThat(taskTimer(registry, "never").count()).isEqualTo(1.0);
    }

    @Test
    void requestsStateAndDrainAreMeasured() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new LifecycleMetrics(lifecycle).bindTo(registry);
        lifecycle.start();

        InflightRequest request = lifecycle.tracker().tryEnter("GET", "/a");
        lifecycle.tracker().tryEnter("GET", "/events").markLongLived(null);
        assertThat(registry.get("lifecycle.requests.inflight").gauge().value()).isEqualTo(1.0);
        assertThat(registry.get("lifecycle.requests.long.lived").gauge().value()).isEqualTo(1.0);
        assertThat(state(registry, State.READY)).isEqualTo(1.0);
        FunctionTimer drain = registry.get("lifecycle.drain.duration").functionTimer();
        assertThat(drain.count()).isZero();

        request.exit();
        lifecycle.tracker().close();
        lifecycle.tracker().tryEnter();
        assertThat(registry.get("lifecycle.requests.inflight").gauge().value()).isZero();
        assertThat(registry.get("lifecycle.requests.refused").functionCounter().count()).isEqualTo(1.0);

        Lifecycle quick = Lifecycle.builder().environment(Map.of())
                                   .longLivedDrainTimeout(Duration.ZERO).build();
        SimpleMeterRegistry quickRegistry = new SimpleMeterRegistry();
        new LifecycleMetrics(quick).bindTo(quickRegistry);
        quick.start();
        quick.shutdown();
        FunctionTimer quickDrain = quickRegistry.get("lifecycle.drain.duration").functionTimer();
        assertThat(quickDrain.count()).isEqualTo(1.0);
        assertThat(quickDrain.totalTime(TimeUnit.NANOSECONDS)).isPositive();
        assertThat(state(quickRegistry, State.STOPPED)).isEqualTo(1.0);
    }

    @Test
    void aTaskCancelledBeforeItBeganRecordsNoDuration() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of())
                                       .startupTask(StartupTask.of("migrations", () -> {
                                           throw new IllegalStateException("boom");
                                       }))
                                       .startupTask(StartupTask.of("warmup", () -> { }).dependsOn("migrations"))
                                       .build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new LifecycleMetrics(lifecycle).bindTo(registry);

        assertThatThrownBy(lifecycle::start).isInstanceOf(StartupException.class);

        assertThat(taskTimer(registry, "migrations").count()).isEqualTo(1.0);
        assertThat(taskTimer(registry, "warmup").count()).isZero();
    }

    @Test
    void nullLifecycleIsRejected() {
        assertThatThrownBy(() -> new LifecycleMetrics(null)).isInstanceOf(NullPointerException.class)
                                                             .hasMessage("lifecycle cannot be null");
    }

    private static double state(SimpleMeterRegistry registry, State state) {
        return registry.get("lifecycle.state").tag("state", state.name()).gauge().value();
    }

    private static FunctionTimer taskTimer(SimpleMeterRegistry registry, String task) {
        return registry.get("lifecycle.startup.task.duration").tag("task", task).functionTimer();
    }
}
