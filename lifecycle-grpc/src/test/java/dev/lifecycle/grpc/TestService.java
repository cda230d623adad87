package dev.lifecycle.grpc;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

/**
 * A gRPC service for the tests, with hand-written method descriptors and UTF-8 string messages. The request says
 * what the handler does; {@link #UNARY} answers the replica's name.
 */
final class TestService implements BindableService {

    static final String SERVICE = "test.Test";

    static final MethodDescriptor.Marshaller<String> UTF8 = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    /** {@code "hold"}: answered by {@link #releaseHeld()}; {@code "fail"}: throws; {@code "drain"}: what
     * {@link GrpcDrain#current()} says; anything else: the replica's name at once. */
    static final MethodDescriptor<String, String> UNARY = method("Unary", MethodDescriptor.MethodType.UNARY);
    /** Sends {@code "hello"} and stays open; {@code "finish-on-drain"}: ends with {@code "bye"} and OK on drain. */
    static final MethodDescriptor<String, String> STREAM = method("Stream",
                                                                   MethodDescriptor.MethodType.SERVER_STREAMING);
    /** Echoes each message; ends when the client half-closes. */
    static final MethodDescriptor<String, String> BIDI = method("Bidi", MethodDescriptor.MethodType.BIDI_STREAMING);

    final String name;
    final Queue<StreamObserver<String>> held = new ConcurrentLinkedQueue<>();
    final Queue<StreamObserver<String>> streams = new ConcurrentLinkedQueue<>();
    final Queue<Throwable> sendFailures = new ConcurrentLinkedQueue<>();

    TestService(String name) {
        this.name = name;
    }

    private static MethodDescriptor<String, String> method(String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<String, String>newBuilder()
                               .setType(type)
                               .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
                               .setRequestMarshaller(UTF8)
                               .setResponseMarshaller(UTF8)
                               .build();
    }

    /** Answers every held unary call with the replica's name. */
    void releaseHeld() {
        for (StreamObserver<String> call; (call = held.poll()) != null; ) {
            call.onNext(name);
            call.onCompleted();
        }
    }

    /** Sends {@code message} on every open stream, recording what the sends threw. */
    void sendOnStreams(String message) {
        for (StreamObserver<String> stream : streams) {
            try {
                stream.onNext(message);
            } catch (RuntimeException e) {
                sendFailures.add(e);
            }
        }
    }

    @Override
    public ServerServiceDefinition bindService() {
        return ServerServiceDefinition.builder(SERVICE)
                                      .addMethod(UNARY, ServerCalls.asyncUnaryCall(this::unary))
                                      .addMethod(STREAM, ServerCalls.asyncServerStreamingCall(this::stream))
                                      .addMethod(BIDI, ServerCalls.asyncBidiStreamingCall(this::bidi))
                                      .build();
    }

    private void unary(String request, StreamObserver<String> response) {
        switch (request) {
            case "hold":
                held.add(response);
                return;
            case "fail":
                throw new IllegalStateException("the handler failed");
            case "drain":
                String answer;
                try {
                    answer = "draining=" + GrpcDrain.current().isDraining();
                } catch (IllegalStateException e) {
                    answer = e.getMessage();
                }
                response.onNext(answer);
                response.onCompleted();
                return;
            default:
                response.onNext(name);
                response.onCompleted();
        }
    }

    private void stream(String request, StreamObserver<String> response) {
        if (request.equals("finish-on-drain")) {
            GrpcDrain drain = GrpcDrain.current();
            drain.onDrain(() -> {
                response.onNext("bye (draining=" + drain.isDraining() + ")");
                response.onCompleted();
            });
        }
        response.onNext("hello");
        streams.add(response);
    }

    private StreamObserver<String> bidi(StreamObserver<String> response) {
        return new StreamObserver<>() {
            @Override
            public void onNext(String value) {
                response.onNext(value);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
                response.onCompleted();
            }
        };
    }
}
