package dev.lifecycle.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.lifecycle.core.Lifecycle;
import io.grpc.Server;
import io.grpc.ServerBuilder;

class GrpcLifecycleBuilderTest {

    private final Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();

    @Test
    void watchIntervalMustBePositive() {
        assertThatThrownBy(() -> GrpcLifecycle.builder(lifecycle).watchInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("watchInterval: PT0S (expected: > 0)");
        assertThatThrownBy(() -> GrpcLifecycle.builder(lifecycle).watchInterval(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("watchInterval: PT-0.001S (expected: > 0)");
        assertThatThrownBy(() -> GrpcLifecycle.builder(lifecycle).watchInterval(null))
                .isInstanceOf(NullPointerException.class).hasMessage("watchInterval cannot be null");
    }

    @Test
    void probesNeedDistinctHealthServiceNames() {
        assertThatThrownBy(() -> GrpcLifecycle.builder(lifecycle).livenessService("").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("livenessService: '' is already the readinessService (expected: a distinct health service "
                            + "name per probe)");
        assertThatThrownBy(() -> GrpcLifecycle.builder(lifecycle).startupService("liveness").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("startupService: 'liveness' is already the livenessService (expected: a distinct health "
                            + "service name per probe)");
    }

    @Test
    void excludedServicesMustBeNamed() {
        assertThatThrownBy(() -> GrpcLifecycle.builder(lifecycle).excludeServices("a.B", " "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("services[1]: ' ' (expected: a fully qualified gRPC service name)");
        assertThatThrownBy(() -> GrpcLifecycle.builder(lifecycle).excludeServices("a.B", null))
                .isInstanceOf(NullPointerException.class).hasMessage("services[1] cannot be null");
        assertThatThrownBy(() -> GrpcLifecycle.builder(null))
                .isInstanceOf(NullPointerException.class).hasMessage("lifecycle cannot be null");
    }

    @Test
    void stopOnShutdownOnlyOnce() throws Exception {
        GrpcLifecycle grpc = GrpcLifecycle.of(lifecycle);
        Server server = ServerBuilder.forPort(0).build();
        grpc.stopOnShutdown(server);
        assertThatThrownBy(() -> grpc.stopOnShutdown(server))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("stopOnShutdown(): already called with ");
    }

    @Test
    void buildingTwiceGivesIndependentInstances() {
        GrpcLifecycleBuilder builder = GrpcLifecycle.builder(lifecycle);
        GrpcLifecycle first = builder.build();
        assertThat(builder.build()).isNotSameAs(first);
        assertThat(first.interceptor()).isNotNull();
    }
}
