package dev.lifecycle.grpc;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.State;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;

/** {@code grpc.health.v1.Health} served from the lifecycle, on a real server and client, on each transport. */
class GrpcHealthTest {

    private static final long TIMEOUT_SECONDS = 20;

    private Server server;
    private ManagedChannel channel;
    private Lifecycle lifecycle;

    @AfterEach
    void tearDown() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (server != null) {
            server.shutdownNow();
        }
    }

    private GrpcLifecycle start(Transport transport, Lifecycle lifecycle, GrpcLifecycleBuilder builder)
            throws Exception {
        this.lifecycle = lifecycle;
        GrpcLifecycle grpc = builder.build();
        server = transport.start(grpc, new TestService("a"));
        channel = transport.channel(server.getPort());
        return grpc;
    }

    private RecordingObserver<HealthCheckResponse> watch(String service) {
        RecordingObserver<HealthCheckResponse> observer = new RecordingObserver<>();
        HealthGrpc.newStub(channel).watch(HealthCheckRequest.newBuilder().setService(service).build(), observer);
        return observer;
    }

    private ServingStatus check(String service) {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(TIMEOUT_SECONDS, SECONDS)
                         .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }

    private static ServingStatus last(RecordingObserver<HealthCheckResponse> watch) {
        return watch.messages.isEmpty() ? null : watch.messages.get(watch.messages.size() - 1).getStatus();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void watchFollowsReadinessThroughStartupAndTheDrainThenEnds(Transport transport) throws Exception {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of())
                                       .preStopDelay(Duration.ofSeconds(TIMEOUT_SECONDS)).build();
        GrpcLifecycle grpc = start(transport, lifecycle,
                                   GrpcLifecycle.builder(lifecycle).watchInterval(Duration.ofMillis(20)));
        RecordingObserver<HealthCheckResponse> readiness = watch("");
        RecordingObserver<HealthCheckResponse> liveness = watch("liveness");
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> grpc.health().watches() == 2);
        assertThat(last(readiness)).isEqualTo(ServingStatus.NOT_SERVING);

        lifecycle.start();
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> last(readiness) == ServingStatus.SERVING);

        // Readiness goes down when shutdown begins, before the pre-stop delay: the watch says so during the delay.
        Thread shutdown = new Thread(lifecycle::shutdown, "test-shutdown");
        shutdown.start();
        try {
            await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
                   .until(() -> last(readiness) == ServingStatus.NOT_SERVING);
            assertThat(lifecycle.tracker().isClosed()).isFalse(); // still in the pre-stop delay
            assertThat(check("")).isEqualTo(ServingStatus.NOT_SERVING);
            assertThat(check("liveness")).isEqualTo(ServingStatus.SERVING);
        } finally {
            shutdown.interrupt(); // ends the pre-stop delay
        }
        shutdown.join(SECONDS.toMillis(TIMEOUT_SECONDS));

        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
        Status end = readiness.end.get(TIMEOUT_SECONDS, SECONDS);
        assertThat(end.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(end.getDescription()).isEqualTo("Service shutting down");
        assertThat(readiness.messages).extracting(HealthCheckResponse::getStatus)
                                      .containsExactly(ServingStatus.NOT_SERVING, ServingStatus.SERVING,
                                                       ServingStatus.NOT_SERVING);
        assertThat(liveness.end.get(TIMEOUT_SECONDS, SECONDS).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(liveness.messages).extracting(HealthCheckResponse::getStatus)
                                     .containsExactly(ServingStatus.SERVING);
        assertThat(grpc.health().watches()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void livenessFollowsItsChecksAndStartupFailure(Transport transport) throws Exception {
        boolean[] alive = {true};
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).livenessCheck("flag", () -> alive[0])
                                       .build();
        start(transport, lifecycle, GrpcLifecycle.builder(lifecycle).livenessService("live"));

        assertThat(check("live")).isEqualTo(ServingStatus.SERVING);
        alive[0] = false;
        assertThat(check("live")).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(check("")).isEqualTo(ServingStatus.NOT_SERVING);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void unknownServiceIsNotFoundForCheckAndServiceUnknownForWatch(Transport transport) throws Exception {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();
        GrpcLifecycle grpc = start(transport, lifecycle, GrpcLifecycle.builder(lifecycle));

        assertThatThrownBy(() -> check("users.Users"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription())
                            .isEqualTo("Unknown service 'users.Users' (expected: one of ['', 'liveness', 'startup'])");
                });
        RecordingObserver<HealthCheckResponse> watch = watch("users.Users");
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> grpc.health().watches() == 1);
        assertThat(watch.messages).extracting(HealthCheckResponse::getStatus)
                                  .containsExactly(ServingStatus.SERVICE_UNKNOWN);
        assertThat(watch.end).isNotDone(); // as the protocol says: the call stays open

        lifecycle.shutdown();
        assertThat(watch.end.get(TIMEOUT_SECONDS, SECONDS).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }
}
