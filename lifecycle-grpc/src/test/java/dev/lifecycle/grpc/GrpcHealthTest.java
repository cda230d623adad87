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
    void watchFollowsReadinessThroughStartupAndIntoThePreStopDelay(Transport transport) throws Exception {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).preStopDelay(Duration.ofHours(1))
                                       .terminationGracePeriod(Duration.ofHours(2)).build();
        GrpcLifecycle grpc = start(transport, lifecycle,
                                   GrpcLifecycle.builder(lifecycle).watchInterval(Duration.ofMillis(20)));
        RecordingObserver<HealthCheckResponse> readiness = watch("");
        RecordingObserver<HealthCheckResponse> liveness = watch("liveness");
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> grpc.health().watches() == 2);
        assertThat(last(readiness)).isEqualTo(ServingStatus.NOT_SERVING);

        lifecycle.start();
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> last(readiness) == ServingStatus.SERVING);

        // Readiness goes down when shutdown begins, before the pre-stop delay: the watch says so during the delay.
        // Nothing public ends the hour-long delay early: the daemon thread is left waiting it out.
        Thread shutdown = new Thread(lifecycle::shutdown, "test-shutdown");
        shutdown.setDaemon(true);
        shutdown.start();
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> last(readiness) == ServingStatus.NOT_SERVING);
        assertThat(lifecycle.tracker().isDraining()).isFalse(); // still in the pre-stop delay
        assertThat(check("")).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(check("liveness")).isEqualTo(ServingStatus.SERVING);
        assertThat(readiness.messages).extracting(HealthCheckResponse::getStatus)
                                      .containsExactly(ServingStatus.NOT_SERVING, ServingStatus.SERVING,
                                                       ServingStatus.NOT_SERVING);
        assertThat(liveness.messages).extracting(HealthCheckResponse::getStatus)
                                     .containsExactly(ServingStatus.SERVING);
        assertThat(readiness.end).isNotDone();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void watchesGetTheLastStatusAndEndWithUnavailableWhenTheDrainBegins(Transport transport) throws Exception {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();
        // An interval that never elapses in the test: the statuses come from the start of the watch and its end.
        GrpcLifecycle grpc = start(transport, lifecycle,
                                   GrpcLifecycle.builder(lifecycle).watchInterval(Duration.ofHours(1)));
        lifecycle.start();
        RecordingObserver<HealthCheckResponse> readiness = watch("");
        RecordingObserver<HealthCheckResponse> liveness = watch("liveness");
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> grpc.health().watches() == 2);

        lifecycle.shutdown();

        Status end = readiness.end.get(TIMEOUT_SECONDS, SECONDS);
        assertThat(end.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(end.getDescription()).isEqualTo("Service shutting down");
        assertThat(readiness.messages).extracting(HealthCheckResponse::getStatus)
                                      .containsExactly(ServingStatus.SERVING, ServingStatus.NOT_SERVING);
        assertThat(liveness.end.get(TIMEOUT_SECONDS, SECONDS).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(liveness.messages).extracting(HealthCheckResponse::getStatus)
                                     .containsExactly(ServingStatus.SERVING);
        assertThat(grpc.health().watches()).isZero();
        // A watch that starts after the drain began gets the status and ends at once.
        RecordingObserver<HealthCheckResponse> late = watch("");
        assertThat(late.end.get(TIMEOUT_SECONDS, SECONDS).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(late.messages).extracting(HealthCheckResponse::getStatus)
                                 .containsExactly(ServingStatus.NOT_SERVING);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void livenessFollowsItsChecksAndStartupFailure(Transport transport) throws Exception {
        boolean[] alive = {true};
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).healthCheckMaxAge(Duration.ZERO)
                                       .livenessCheck("flag", () -> alive[0])
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
