package dev.lifecycle.examples;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.lifecycle.grpc.GrpcDrain;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

/**
 * The users API as the gRPC service {@code lifecycle.examples.Users}: the same {@link UsersApi} as over HTTP, with
 * JSON messages. The methods are described by hand, with a pass-through byte marshaller, rather than generated from
 * a {@code .proto}: the build then needs no {@code protoc} nor its gRPC plugin (native binaries), and the messages are
 * exactly the HTTP API's JSON, validated by the same code. A client calls them with these descriptors (as the tests
 * do) or any gRPC client able to send raw bytes.
 * <ul>
 * <li>{@code Create} {@code {"name": "...", "email": "..."}}: the user;</li>
 * <li>{@code Get} {@code {"id": 1}}: the user, or {@code NOT_FOUND};</li>
 * <li>{@code List} {@code {"limit": 10, "after": 0}} (both optional): a page, as {@code GET /users};</li>
 * <li>{@code Work} {@code {"ms": 500}}: answers after that long (at most 60000 ms), to watch a drain;</li>
 * <li>{@code Ticks} {@code {"everyMs": 100}} (10 to 60000): a server stream of {@code {"tick": n}}; when the server
 *     drains, a last {@code {"tick": n, "draining": true}} and {@code UNAVAILABLE}, through {@link GrpcDrain}, so that
 *     the client reconnects elsewhere.</li>
 * </ul>
 * A bad request gets {@code INVALID_ARGUMENT}, a database error {@code UNAVAILABLE}, with the HTTP API's error
 * message as description.
 */
final class GrpcUsersApi implements BindableService {

    static final String SERVICE = "lifecycle.examples.Users";

    /** The bytes as they are: the messages are JSON documents. */
    static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    static final MethodDescriptor<byte[], byte[]> CREATE = unary("Create");
    static final MethodDescriptor<byte[], byte[]> GET = unary("Get");
    static final MethodDescriptor<byte[], byte[]> LIST = unary("List");
    static final MethodDescriptor<byte[], byte[]> WORK = unary("Work");
    static final MethodDescriptor<byte[], byte[]> TICKS = method("Ticks", MethodDescriptor.MethodType.SERVER_STREAMING);

    static final long MIN_TICK_MS = 10;

    private final UsersApi users;
    private final ScheduledExecutorService ticker;

    /**
     * @param ticker runs the {@code Ticks} streams' sends
     */
    GrpcUsersApi(UsersApi users, ScheduledExecutorService ticker) {
        this.users = users;
        this.ticker = ticker;
    }

    private static MethodDescriptor<byte[], byte[]> unary(String name) {
        return method(name, MethodDescriptor.MethodType.UNARY);
    }

    private static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                               .setType(type)
                               .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
                               .setRequestMarshaller(BYTES)
                               .setResponseMarshaller(BYTES)
                               .build();
    }

    @Override
    public ServerServiceDefinition bindService() {
        return ServerServiceDefinition.builder(SERVICE)
                                      .addMethod(CREATE, ServerCalls.asyncUnaryCall(
                                              (request, response) -> answer(users.create(request), response)))
                                      .addMethod(GET, ServerCalls.asyncUnaryCall(this::get))
                                      .addMethod(LIST, ServerCalls.asyncUnaryCall(this::list))
                                      .addMethod(WORK, ServerCalls.asyncUnaryCall(GrpcUsersApi::work))
                                      .addMethod(TICKS, ServerCalls.asyncServerStreamingCall(this::ticks))
                                      .build();
    }

    private void get(byte[] request, StreamObserver<byte[]> response) {
        JsonNode body = parse(request, response);
        if (body != null) {
            answer(users.find(body.path("id").asText()), response);
        }
    }

    private void list(byte[] request, StreamObserver<byte[]> response) {
        JsonNode body = parse(request, response);
        if (body != null) {
            answer(users.list(text(body, "limit"), text(body, "after")), response);
        }
    }

    private static void work(byte[] request, StreamObserver<byte[]> response) {
        JsonNode body = parse(request, response);
        if (body == null) {
            return;
        }
        String text = text(body, "ms");
        long ms = Work.millis(text);
        if (ms < 0) {
            answer(Work.badMillis(text), response);
            return;
        }
        try {
            // The sleep is the point: a call that stays in flight for a known time.
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            answer(ApiResponse.error(503, "interrupted"), response);
            return;
        }
        answer(Work.done(ms), response);
    }

    private void ticks(byte[] request, StreamObserver<byte[]> response) {
        JsonNode body = parse(request, response);
        if (body == null) {
            return;
        }
        String text = text(body, "everyMs");
        long everyMs = Work.millis(text);
        if (everyMs < MIN_TICK_MS) {
            answer(ApiResponse.error(400, "everyMs: '" + text + "' (expected: " + MIN_TICK_MS + " to " + Work.MAX_MS
                                          + ")"), response);
            return;
        }
        new TickStream((ServerCallStreamObserver<byte[]>) response, everyMs).start();
    }

    /** One {@code Ticks} call: its sends, on the ticker, are serialized by its monitor. */
    private final class TickStream {
        private final ServerCallStreamObserver<byte[]> response;
        private final long everyMs;
        private long ticks;
        private boolean ended;
        private ScheduledFuture<?> task;

        TickStream(ServerCallStreamObserver<byte[]> response, long everyMs) {
            this.response = response;
            this.everyMs = everyMs;
        }

        void start() {
            response.setOnCancelHandler(this::stop);
            // The drain action runs on the thread beginning the drain: hand the last message over to the ticker.
            GrpcDrain.current().onDrain(() -> ticker.execute(this::endForDrain));
            task = ticker.scheduleAtFixedRate(this::tick, 0, everyMs, TimeUnit.MILLISECONDS);
        }

        private synchronized void tick() {
            if (ended) {
                return;
            }
            try {
                response.onNext(message(false));
            } catch (RuntimeException e) { // cancelled, or ended by the server, meanwhile
                stop();
            }
        }

        private synchronized void endForDrain() {
            if (ended) {
                return;
            }
            stop();
            response.onNext(message(true));
            response.onError(Status.UNAVAILABLE.withDescription("Service shutting down: reconnect")
                                               .asRuntimeException());
        }

        private synchronized void stop() {
            ended = true;
            if (task != null) {
                task.cancel(false);
            }
        }

        private byte[] message(boolean draining) {
            ObjectNode node = ApiResponse.MAPPER.createObjectNode();
            node.put("tick", ticks++);
            if (draining) {
                node.put("draining", true);
            }
            return ApiResponse.json(200, node).bodyBytes();
        }
    }

    /** The field as text ({@code null} when absent), whether it came as a number or a string. */
    private static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    /** The request as a JSON object, or {@code null} after answering {@code INVALID_ARGUMENT}. */
    private static JsonNode parse(byte[] request, StreamObserver<byte[]> response) {
        JsonNode body;
        try {
            body = request.length == 0 ? ApiResponse.MAPPER.createObjectNode() : ApiResponse.MAPPER.readTree(request);
        } catch (IOException e) {
            body = null;
        }
        if (body == null || !body.isObject()) {
            answer(ApiResponse.error(400, "expected a JSON object"), response);
            return null;
        }
        return body;
    }

    /** Translates the HTTP API's answer: 2xx to the JSON body, an error to a gRPC status with its message. */
    static void answer(ApiResponse answer, StreamObserver<byte[]> response) {
        if (answer.status() / 100 == 2) {
            response.onNext(answer.bodyBytes());
            response.onCompleted();
            return;
        }
        Status status;
        switch (answer.status()) {
            case 400:
                status = Status.INVALID_ARGUMENT;
                break;
            case 404:
                status = Status.NOT_FOUND;
                break;
            case 503:
                status = Status.UNAVAILABLE;
                break;
            default:
                status = Status.INTERNAL;
        }
        response.onError(status.withDescription(answer.body().path("error").asText()).asRuntimeException());
    }
}
