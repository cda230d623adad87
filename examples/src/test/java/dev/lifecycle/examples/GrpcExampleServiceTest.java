package dev.lifecycle.examples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.util.concurrent.ListenableFuture;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;

/**
 * The gRPC variant in child JVMs with a grpc-java client: startup, the users API, health, and a SIGTERM under load
 * on one long-lived channel.
 */
class GrpcExampleServiceTest {

    private static final ObjectMapper mapper = new ObjectMapper();
    private static final long TIMEOUT_SECONDS = 30;

    @TempDir
    Path temp;

    private Map<String, String> environment(String replica, String... extra) {
        Map<String, String> env = new HashMap<>();
        env.put("DATA_DIR", temp.resolve("data-" + replica).toString());
        env.put("INSTANCE_ID", replica);
        for (int i = 0; i < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        return env;
    }

    private static ExampleProcess start(String name, Map<String, String> environment) {
        return ExampleProcess.start(GrpcExampleService.class, "grpc-" + name, environment);
    }

    /** A unary call's answer and the replica that gave it. */
    private record Answer(JsonNode body, String instance) {
    }

    private static Answer call(Channel channel, MethodDescriptor<byte[], byte[]> method, String json) {
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        Channel capturing = ClientInterceptors.intercept(channel,
                                                         MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));
        byte[] response = ClientCalls.blockingUnaryCall(capturing, method, options(), json.getBytes(UTF_8));
        try {
            return new Answer(mapper.readTree(response), headers.get().get(GrpcInstanceInterceptor.INSTANCE));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static CallOptions options() {
        return CallOptions.DEFAULT.withDeadlineAfter(TIMEOUT_SECONDS, SECONDS);
    }

    private static ServingStatus check(Channel channel, String service) {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(TIMEOUT_SECONDS, SECONDS)
                         .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }

    private static void awaitServing(ManagedChannel channel) {
        await().atMost(ExampleProcess.STARTUP_TIMEOUT).pollInterval(Duration.ofMillis(100))
               .ignoreExceptionsInstanceOf(StatusRuntimeException.class)
               .until(() -> check(channel, "") == ServingStatus.SERVING);
    }

    @Test
    void callsBeforeReadyGetUnavailableThenTheUsersApiAnswersAndHealthFollowsReadiness() throws Exception {
        MigrationGate gate = MigrationGate.create(temp.resolve("data-replica-g"));
        try (ExampleProcess service = start("startup", environment(
                "replica-g", "FLYWAY_EXTRA_LOCATIONS", MigrationGate.location()))) {
            ManagedChannel channel = GrpcReplicas.channel(service.awaitPort());
            try {
                // The gated migration runs until the test opens the gate: the port is open, the service not ready.
                assertThat(check(channel, "")).isEqualTo(ServingStatus.NOT_SERVING);
                assertThat(check(channel, "liveness")).isEqualTo(ServingStatus.SERVING);
                assertThatThrownBy(() -> call(channel, GrpcUsersApi.GET, "{\"id\": 1}"))
                        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                            assertThat(e.getStatus().getDescription()).isEqualTo("Service Unavailable: starting");
                            assertThat(e.getTrailers().get(GrpcInstanceInterceptor.INSTANCE)).isEqualTo("replica-g");
                        });

                gate.open(ExampleProcess.STARTUP_TIMEOUT);
                awaitServing(channel);

                Answer created = call(channel, GrpcUsersApi.CREATE, "{\"name\": \"Ada\", \"email\": \"ada@example.org\"}");
                assertThat(created.instance()).isEqualTo("replica-g");
                assertThat(created.body().path("name").asText()).isEqualTo("Ada");
                long id = created.body().path("id").asLong();
                assertThat(call(channel, GrpcUsersApi.GET, "{\"id\": " + id + "}").body().path("email").asText())
                        .isEqualTo("ada@example.org");
                assertThat(call(channel, GrpcUsersApi.LIST, "{\"limit\": 10}").body().path("users")).hasSize(1);
                assertThatThrownBy(() -> call(channel, GrpcUsersApi.GET, "{\"id\": 999}"))
                        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                            assertThat(e.getStatus().getDescription()).isEqualTo("no user with id '999'");
                        });
                assertThatThrownBy(() -> call(channel, GrpcUsersApi.CREATE, "{\"name\": "))
                        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                            assertThat(e.getStatus().getDescription()).isEqualTo("malformed JSON");
                        });
            } finally {
                channel.shutdownNow();
            }
            assertThat(service.terminate()).isEqualTo(143);
        }
    }

    @Test
    void sigtermUnderLoadOnOneChannelFailsNoCallAndTellsTheStreamToReconnect() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(2);
        List<ManagedChannel> channels = new ArrayList<>();
        try (ExampleProcess a = start("drain-a", environment("replica-a", "LIFECYCLE_PRESTOP_DELAY", "1s",
                                                              "LIFECYCLE_DRAIN_TIMEOUT", "15s"));
             ExampleProcess b = start("drain-b", environment("replica-b"))) {
            ManagedChannel toA = GrpcReplicas.channel(a.awaitPort());
            ManagedChannel toB = GrpcReplicas.channel(b.awaitPort());
            ManagedChannel channel = GrpcReplicas.channel(a.awaitPort(), b.awaitPort()); // on a, while a serves
            channels.addAll(List.of(toA, toB, channel));
            awaitServing(toA);
            awaitServing(toB);

            List<ServingStatus> watched = new CopyOnWriteArrayList<>();
            CompletableFuture<Status> watchEnd = new CompletableFuture<>();
            HealthGrpc.newStub(toA).watch(HealthCheckRequest.newBuilder().setService("").build(),
                                          observer(response -> watched.add(response.getStatus()), watchEnd));
            List<JsonNode> ticks = new CopyOnWriteArrayList<>();
            CompletableFuture<Status> ticksEnd = new CompletableFuture<>();
            ClientCalls.asyncServerStreamingCall(channel.newCall(GrpcUsersApi.TICKS, options()),
                                                 "{\"everyMs\": 100}".getBytes(UTF_8),
                                                 observer(bytes -> ticks.add(json(bytes)), ticksEnd));
            await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> ticks.size() >= 2);
            ListenableFuture<byte[]> work = ClientCalls.futureUnaryCall(channel.newCall(GrpcUsersApi.WORK, options()),
                                                                        "{\"ms\": 3000}".getBytes(UTF_8));

            Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
            Map<String, AtomicInteger> servedBy = new ConcurrentHashMap<>();
            AtomicBoolean aExited = new AtomicBoolean();
            AtomicInteger afterExit = new AtomicInteger();
            List<Future<?>> loops = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int client = i;
                loops.add(clients.submit(() -> {
                    for (int n = 0; afterExit.get() < 50; n++) {
                        boolean exited = aExited.get();
                        try {
                            Answer answer = n % 2 == 0
                                            ? call(channel, GrpcUsersApi.LIST, "{\"limit\": 5}")
                                            : call(channel, GrpcUsersApi.CREATE,
                                                   "{\"name\": \"user-" + client + '-' + n + "\"}");
                            servedBy.computeIfAbsent(answer.instance(), r -> new AtomicInteger()).incrementAndGet();
                            if (exited) {
                                assertThat(answer.instance()).isEqualTo("replica-b");
                                afterExit.incrementAndGet();
                            }
                        } catch (RuntimeException | AssertionError e) {
                            failures.add(e);
                        }
                    }
                }));
            }
            await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> servedBy.containsKey("replica-a"));

            assertThat(a.terminate()).isEqualTo(143);
            aExited.set(true);
            for (Future<?> loop : loops) {
                loop.get(TIMEOUT_SECONDS, SECONDS);
            }

            assertThat(failures).isEmpty();
            assertThat(servedBy).containsKeys("replica-a", "replica-b");
            assertThat(json(work.get(TIMEOUT_SECONDS, SECONDS)).path("workedMs").asLong()).isEqualTo(3000);
            // The stream was told to reconnect: a last tick saying so, then UNAVAILABLE.
            Status ticksStatus = ticksEnd.get(TIMEOUT_SECONDS, SECONDS);
            assertThat(ticksStatus.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(ticksStatus.getDescription()).isEqualTo("Service shutting down: reconnect");
            assertThat(ticks.get(ticks.size() - 1).path("draining").asBoolean()).isTrue();
            // Readiness: SERVING, then NOT_SERVING from the start of the drain, then the watch ends.
            assertThat(watchEnd.get(TIMEOUT_SECONDS, SECONDS).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(watched).containsExactly(ServingStatus.SERVING, ServingStatus.NOT_SERVING);
            assertThat(a.process().output()).contains("Drain began", "Stop action 'grpc server' done");
        } finally {
            clients.shutdownNow();
            channels.forEach(ManagedChannel::shutdownNow);
        }
    }

    private static JsonNode json(byte[] bytes) {
        try {
            return mapper.readTree(bytes);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static <T> StreamObserver<T> observer(java.util.function.Consumer<T> onNext,
                                                  CompletableFuture<Status> end) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                onNext.accept(value);
            }

            @Override
            public void onError(Throwable t) {
                end.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                end.complete(Status.OK);
            }
        };
    }
}
