package dev.lifecycle.grpc;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import com.google.common.util.concurrent.ListenableFuture;

import dev.lifecycle.core.DrainPolicy;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.LifecycleBuilder;
import dev.lifecycle.core.State;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCalls;

/** A real grpc-java server and client, on each transport, through startup and the drain. */
class GrpcLifecycleTest {

    private static final long TIMEOUT_SECONDS = 20;

    private final List<Server> servers = new ArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<Lifecycle> lifecycles = new ArrayList<>();

    @AfterEach
    void tearDown() {
        channels.forEach(ManagedChannel::shutdownNow);
        servers.forEach(Server::shutdownNow);
        lifecycles.forEach(lifecycle -> CompletableFuture.runAsync(lifecycle::shutdown));
    }

    private static LifecycleBuilder lifecycleBuilder() {
        return Lifecycle.builder().environment(Map.of()).drainTimeout(Duration.ofSeconds(TIMEOUT_SECONDS))
                        .longLivedDrainTimeout(Duration.ofSeconds(TIMEOUT_SECONDS));
    }

    private Lifecycle track(Lifecycle lifecycle) {
        lifecycles.add(lifecycle);
        return lifecycle;
    }

    private Server start(Transport transport, GrpcLifecycle grpc, TestService service) throws IOException {
        Server server = transport.start(grpc, service);
        servers.add(server);
        return server;
    }

    private ManagedChannel channel(Transport transport, int... ports) {
        ManagedChannel channel = ports.length == 1 ? transport.channel(ports[0]) : transport.channel(ports);
        channels.add(channel);
        return channel;
    }

    private static String unary(ManagedChannel channel, String request) {
        return ClientCalls.blockingUnaryCall(channel, TestService.UNARY, options(), request);
    }

    private static ListenableFuture<String> unaryAsync(ManagedChannel channel, String request) {
        return ClientCalls.futureUnaryCall(channel.newCall(TestService.UNARY, options()), request);
    }

    private static RecordingObserver<String> stream(ManagedChannel channel, String request) {
        RecordingObserver<String> observer = new RecordingObserver<>();
        ClientCalls.asyncServerStreamingCall(channel.newCall(TestService.STREAM, options()), request, observer);
        return observer;
    }

    private static CallOptions options() {
        return CallOptions.DEFAULT.withDeadlineAfter(TIMEOUT_SECONDS, SECONDS);
    }

    private static ServingStatus check(ManagedChannel channel, String service) {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(TIMEOUT_SECONDS, SECONDS)
                         .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }

    private static Status statusOf(Throwable t) {
        return Status.fromThrowable(t);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void callsBeforeReadyGetUnavailableAndHealthSaysNotServing(Transport transport) throws Exception {
        Lifecycle lifecycle = track(lifecycleBuilder().build());
        Server server = start(transport, GrpcLifecycle.of(lifecycle), new TestService("a"));
        ManagedChannel channel = channel(transport, server.getPort());

        assertThatThrownBy(() -> unary(channel, "hello"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription()).isEqualTo("Service Unavailable: starting");
                    assertThat(e.getTrailers().get(GrpcLifecycle.RETRY_PUSHBACK_MS))
                            .isEqualTo(Long.toString(lifecycle.retryAfterSeconds() * 1000));
                });
        assertThat(check(channel, "")).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(check(channel, "startup")).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(check(channel, "liveness")).isEqualTo(ServingStatus.SERVING);
        assertThat(lifecycle.tracker().refused()).isEqualTo(1);

        lifecycle.start();

        assertThat(unary(channel, "hello")).isEqualTo("a");
        assertThat(check(channel, "")).isEqualTo(ServingStatus.SERVING);
        assertThat(check(channel, "startup")).isEqualTo(ServingStatus.SERVING);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void unaryCallIsCountedUntilItsStatusIsSent(Transport transport) throws Exception {
        Lifecycle lifecycle = track(lifecycleBuilder().build());
        TestService service = new TestService("a");
        Server server = start(transport, GrpcLifecycle.of(lifecycle), service);
        lifecycle.start();
        ManagedChannel channel = channel(transport, server.getPort());

        ListenableFuture<String> held = unaryAsync(channel, "hold");
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> service.held.size() == 1);
        assertThat(lifecycle.tracker().inflight()).isEqualTo(1);

        service.releaseHeld();

        assertThat(held.get(TIMEOUT_SECONDS, SECONDS)).isEqualTo("a");
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> lifecycle.tracker().inflight() == 0);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void callsWhoseHandlerThrowsOrWhichTheClientCancelsAreCountedOut(Transport transport) throws Exception {
        Lifecycle lifecycle = track(lifecycleBuilder().build());
        TestService service = new TestService("a");
        Server server = start(transport, GrpcLifecycle.of(lifecycle), service);
        lifecycle.start();
        ManagedChannel channel = channel(transport, server.getPort());

        assertThatThrownBy(() -> unary(channel, "fail"))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNKNOWN));
        ClientCall<String, String> call = channel.newCall(TestService.STREAM, options());
        RecordingObserver<String> observer = new RecordingObserver<>();
        ClientCalls.asyncServerStreamingCall(call, "plain", observer);
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> lifecycle.tracker().longLived() == 1);
        call.cancel("the client gives up", null);

        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
               .until(() -> lifecycle.tracker().inflight() == 0 && lifecycle.tracker().longLived() == 0);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void drainServesCallsInFlightAndSendsGoawaySoTheChannelMovesToAnotherReplicaWithoutAFailedCall(
            Transport transport) throws Exception {
        Lifecycle lifecycleA = track(lifecycleBuilder().build());
        TestService a = new TestService("a");
        GrpcLifecycle grpcA = GrpcLifecycle.of(lifecycleA);
        Server serverA = start(transport, grpcA, a);
        grpcA.stopOnShutdown(serverA);
        lifecycleA.start();
        Lifecycle lifecycleB = track(lifecycleBuilder().build());
        Server serverB = start(transport, GrpcLifecycle.of(lifecycleB), new TestService("b"));
        lifecycleB.start();
        ManagedChannel channel = channel(transport, serverA.getPort(), serverB.getPort());
        assertThat(unary(channel, "hello")).isEqualTo("a"); // the channel holds one connection, to a

        ListenableFuture<String> inFlight = unaryAsync(channel, "hold");
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> a.held.size() == 1);
        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(lifecycleA::shutdown);
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(serverA::isShutdown); // GOAWAY sent

        // Every call from now on, on the same channel, is served, by b: a is draining and said GOAWAY.
        for (int i = 0; i < 20; i++) {
            assertThat(unary(channel, "hello")).isEqualTo("b");
        }
        assertThat(lifecycleA.state()).isEqualTo(State.DRAINING); // still waiting for the call in flight
        a.releaseHeld();

        assertThat(inFlight.get(TIMEOUT_SECONDS, SECONDS)).isEqualTo("a");
        shutdown.get(TIMEOUT_SECONDS, SECONDS);
        assertThat(lifecycleA.state()).isEqualTo(State.STOPPED);
        assertThat(serverA.isTerminated()).isTrue();
        assertThat(lifecycleA.tracker().refused()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void streamingCallIsToldToReconnectWithUnavailableAfterGoaway(Transport transport) throws Exception {
        Lifecycle lifecycleA = track(lifecycleBuilder().build());
        TestService a = new TestService("a");
        GrpcLifecycle grpcA = GrpcLifecycle.of(lifecycleA);
        Server serverA = start(transport, grpcA, a);
        grpcA.stopOnShutdown(serverA);
        lifecycleA.start();
        Lifecycle lifecycleB = track(lifecycleBuilder().build());
        Server serverB = start(transport, GrpcLifecycle.of(lifecycleB), new TestService("b"));
        lifecycleB.start();
        ManagedChannel channel = channel(transport, serverA.getPort(), serverB.getPort());

        RecordingObserver<String> stream = stream(channel, "plain");
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> stream.messages.size() == 1);
        assertThat(lifecycleA.tracker().longLived()).isEqualTo(1);

        lifecycleA.shutdown(); // the stream ends at once: the drain does not wait the long-lived timeout

        Status end = stream.end.get(TIMEOUT_SECONDS, SECONDS);
        assertThat(end.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(end.getDescription()).isEqualTo(StreamingCall.DRAINED.getDescription());
        // The service's next message is refused, as after a cancellation, so that its streaming loop stops.
        a.sendOnStreams("too late");
        assertThat(a.sendFailures).singleElement().satisfies(
                e -> assertThat(statusOf(e).getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        // The client's retry, on the same channel, reaches the other replica: GOAWAY came before the status.
        RecordingObserver<String> retried = stream(channel, "plain");
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> retried.messages.size() == 1);
        assertThat(retried.messages).containsExactly("hello");
        assertThat(lifecycleB.tracker().longLived()).isEqualTo(1);
        assertThat(lifecycleA.state()).isEqualTo(State.STOPPED);
        assertThat(serverA.isTerminated()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void streamingServiceFinishesItsStreamThroughItsDrainAction(Transport transport) throws Exception {
        Lifecycle lifecycle = track(lifecycleBuilder().build());
        GrpcLifecycle grpc = GrpcLifecycle.of(lifecycle);
        Server server = start(transport, grpc, new TestService("a"));
        grpc.stopOnShutdown(server);
        lifecycle.start();
        ManagedChannel channel = channel(transport, server.getPort());

        RecordingObserver<String> stream = stream(channel, "finish-on-drain");
        // "hello" comes after the service registered its drain action.
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> stream.messages.size() == 1);

        lifecycle.shutdown();

        assertThat(stream.end.get(TIMEOUT_SECONDS, SECONDS).getCode()).isEqualTo(Status.Code.OK);
        assertThat(stream.messages).containsExactly("hello", "bye (draining=true)");
        assertThat(server.isTerminated()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void grpcDrainIsOnlyForStreamingCalls(Transport transport) throws Exception {
        Lifecycle lifecycle = track(lifecycleBuilder().build());
        Server server = start(transport, GrpcLifecycle.of(lifecycle), new TestService("a"));
        lifecycle.start();
        ManagedChannel channel = channel(transport, server.getPort());

        assertThat(unary(channel, "drain")).isEqualTo("GrpcDrain.current(): the current gRPC context is not that "
                                                      + "of a streaming call counted by a GrpcLifecycle interceptor");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void callsAfterAdmissionClosedGetUnavailable(Transport transport) throws Exception {
        // No stopOnShutdown: the server keeps its connections open, so a call reaches the closed admission.
        Lifecycle lifecycle = track(lifecycleBuilder().build());
        Server server = start(transport, GrpcLifecycle.of(lifecycle), new TestService("a"));
        lifecycle.start();
        ManagedChannel channel = channel(transport, server.getPort());
        assertThat(unary(channel, "hello")).isEqualTo("a");

        lifecycle.shutdown();

        assertThatThrownBy(() -> unary(channel, "hello"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription()).isEqualTo("Service Unavailable: shutting down");
                });
        assertThat(check(channel, "")).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(check(channel, "liveness")).isEqualTo(ServingStatus.SERVING);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void underServeAndCloseCallsOnAnOpenConnectionDuringTheDrainAreServed(Transport transport) throws Exception {
        // No stopOnShutdown: no GOAWAY, so that the channel keeps sending to the draining server.
        Lifecycle lifecycle = track(lifecycleBuilder().drainPolicy(DrainPolicy.SERVE_AND_CLOSE).build());
        TestService service = new TestService("a");
        Server server = start(transport, GrpcLifecycle.of(lifecycle), service);
        lifecycle.start();
        ManagedChannel channel = channel(transport, server.getPort());
        ListenableFuture<String> held = unaryAsync(channel, "hold");
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> service.held.size() == 1);
        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(lifecycle::shutdown);
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> lifecycle.tracker().isDraining());

        assertThat(unary(channel, "hello")).isEqualTo("a");
        assertThat(lifecycle.tracker().servedWhileDraining()).isEqualTo(1);

        service.releaseHeld();
        assertThat(held.get(TIMEOUT_SECONDS, SECONDS)).isEqualTo("a");
        shutdown.get(TIMEOUT_SECONDS, SECONDS);
        assertThat(lifecycle.tracker().refused()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void underReject429CallsDuringTheDrainGetUnavailableWithThePolicysText(Transport transport) throws Exception {
        Lifecycle lifecycle = track(lifecycleBuilder().drainPolicy(DrainPolicy.REJECT_429).build());
        TestService service = new TestService("a");
        GrpcLifecycle grpc = GrpcLifecycle.of(lifecycle);
        Server server = start(transport, grpc, service);
        lifecycle.start();
        ManagedChannel channel = channel(transport, server.getPort());
        ListenableFuture<String> held = unaryAsync(channel, "hold");
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> service.held.size() == 1);
        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(lifecycle::shutdown);
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> lifecycle.tracker().isClosed());

        assertThatThrownBy(() -> unary(channel, "hello"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription()).isEqualTo("Too Many Requests: shutting down");
                });

        service.releaseHeld();
        assertThat(held.get(TIMEOUT_SECONDS, SECONDS)).isEqualTo("a");
        shutdown.get(TIMEOUT_SECONDS, SECONDS);
        assertThat(lifecycle.tracker().refused()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void stopActionCancelsTheCallsLeftAtTheStopTimeout(Transport transport) throws Exception {
        Lifecycle lifecycle = track(lifecycleBuilder().drainTimeout(Duration.ofMillis(100))
                                                      .stopTimeout(Duration.ofMillis(500)).build());
        TestService service = new TestService("a");
        GrpcLifecycle grpc = GrpcLifecycle.of(lifecycle);
        Server server = start(transport, grpc, service);
        grpc.stopOnShutdown(server);
        lifecycle.start();
        ManagedChannel channel = channel(transport, server.getPort());
        ListenableFuture<String> neverAnswered = unaryAsync(channel, "hold");
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> service.held.size() == 1);

        lifecycle.shutdown();

        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(server::isTerminated);
        assertThatThrownBy(() -> neverAnswered.get(TIMEOUT_SECONDS, SECONDS))
                .satisfies(e -> assertThat(statusOf(e).getCode()).isIn(Status.Code.UNAVAILABLE,
                                                                       Status.Code.CANCELLED));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void excludedServicesAreNeitherCountedNorRefused(Transport transport) throws Exception {
        Lifecycle lifecycle = track(lifecycleBuilder().build());
        GrpcLifecycle grpc = GrpcLifecycle.builder(lifecycle).excludeServices(TestService.SERVICE).build();
        TestService service = new TestService("a");
        Server server = start(transport, grpc, service);
        ManagedChannel channel = channel(transport, server.getPort());

        assertThat(unary(channel, "hello")).isEqualTo("a"); // before ready
        ListenableFuture<String> held = unaryAsync(channel, "hold");
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> service.held.size() == 1);
        assertThat(lifecycle.tracker().inflight()).isZero();
        service.releaseHeld();
        assertThat(held.get(TIMEOUT_SECONDS, SECONDS)).isEqualTo("a");
        assertThat(lifecycle.tracker().refused()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void bidirectionalStreamsAreLongLivedAndServed(Transport transport) throws Exception {
        Lifecycle lifecycle = track(lifecycleBuilder().build());
        Server server = start(transport, GrpcLifecycle.of(lifecycle), new TestService("a"));
        lifecycle.start();
        ManagedChannel channel = channel(transport, server.getPort());

        RecordingObserver<String> responses = new RecordingObserver<>();
        var requests = ClientCalls.asyncBidiStreamingCall(channel.newCall(TestService.BIDI, options()), responses);
        requests.onNext("one");
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> responses.messages.size() == 1);
        assertThat(lifecycle.tracker().longLived()).isEqualTo(1);
        assertThat(lifecycle.tracker().inflight()).isZero();
        requests.onNext("two");
        requests.onCompleted();

        assertThat(responses.end.get(TIMEOUT_SECONDS, SECONDS).getCode()).isEqualTo(Status.Code.OK);
        assertThat(responses.messages).containsExactly("one", "two");
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> lifecycle.tracker().longLived() == 0);
    }
}
