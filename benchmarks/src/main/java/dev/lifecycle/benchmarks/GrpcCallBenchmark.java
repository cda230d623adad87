package dev.lifecycle.benchmarks;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.grpc.GrpcLifecycle;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;

/**
 * What lifecycle-grpc costs per call, side by side with a bare grpc-java server (grpc-netty-shaded).
 * <ul>
 * <li>{@code intercept*}: one call through the interceptor alone, from {@code interceptCall} to the listener's
 *     {@code onComplete}, on a stub call: the library's own cost (admission, listener, exit; for a stream also the
 *     drain-aware call wrapper, the gRPC context value and the long-lived move), against {@code interceptBare}, the
 *     handler called directly.</li>
 * <li>{@code roundTrip*}: a unary call over loopback HTTP/2, client and server in this JVM, with and without the
 *     lifecycle's interceptor and health service.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class GrpcCallBenchmark {

    private static final MethodDescriptor.Marshaller<String> STRING = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
    private static final MethodDescriptor<String, String> UNARY = method(MethodDescriptor.MethodType.UNARY);
    private static final MethodDescriptor<String, String> STREAM =
            method(MethodDescriptor.MethodType.SERVER_STREAMING);
    private static final ServerCall.Listener<String> NOOP = new ServerCall.Listener<>() {
    };
    private static final ServerCallHandler<String, String> HANDLER = (call, headers) -> NOOP;

    private final Metadata headers = new Metadata();
    private final StubCall unaryCall = new StubCall(UNARY);
    private final StubCall streamCall = new StubCall(STREAM);
    private Lifecycle lifecycle;
    private ServerInterceptor interceptor;
    private Server bareServer;
    private Server lifecycleServer;
    private ManagedChannel bareChannel;
    private ManagedChannel lifecycleChannel;

    private static MethodDescriptor<String, String> method(MethodDescriptor.MethodType type) {
        return MethodDescriptor.<String, String>newBuilder().setType(type)
                               .setFullMethodName("bench.Bench/" + type)
                               .setRequestMarshaller(STRING).setResponseMarshaller(STRING).build();
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        lifecycle = Lifecycle.builder().environment(Map.of()).build();
        lifecycle.start();
        GrpcLifecycle grpc = GrpcLifecycle.of(lifecycle);
        interceptor = grpc.interceptor();
        ServerServiceDefinition echo = ServerServiceDefinition.builder("bench.Bench")
                .addMethod(UNARY, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext(request);
                    response.onCompleted();
                })).build();
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        bareServer = NettyServerBuilder.forAddress(loopback).addService(echo).build().start();
        lifecycleServer = NettyServerBuilder.forAddress(loopback).addService(echo).addService(grpc.healthService())
                                            .intercept(interceptor).build().start();
        bareChannel = channel(bareServer);
        lifecycleChannel = channel(lifecycleServer);
    }

    private static ManagedChannel channel(Server server) {
        return NettyChannelBuilder.forAddress(InetAddress.getLoopbackAddress().getHostAddress(), server.getPort())
                                  .usePlaintext().build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        bareChannel.shutdownNow();
        lifecycleChannel.shutdownNow();
        bareServer.shutdownNow();
        lifecycleServer.shutdownNow();
    }

    @Benchmark
    public ServerCall.Listener<String> interceptBare() {
        ServerCall.Listener<String> listener = HANDLER.startCall(unaryCall, headers);
        listener.onComplete();
        return listener;
    }

    @Benchmark
    public ServerCall.Listener<String> interceptUnary() {
        ServerCall.Listener<String> listener = interceptor.interceptCall(unaryCall, headers, HANDLER);
        listener.onComplete();
        return listener;
    }

    @Benchmark
    public ServerCall.Listener<String> interceptStream() {
        ServerCall.Listener<String> listener = interceptor.interceptCall(streamCall, headers, HANDLER);
        listener.onComplete();
        return listener;
    }

    @Benchmark
    public String roundTripBare() {
        return ClientCalls.blockingUnaryCall(bareChannel, UNARY, CallOptions.DEFAULT, "x");
    }

    @Benchmark
    public String roundTripLifecycle() {
        return ClientCalls.blockingUnaryCall(lifecycleChannel, UNARY, CallOptions.DEFAULT, "x");
    }

    /** A server call that does nothing: the interceptor's cost alone. */
    private static final class StubCall extends ServerCall<String, String> {
        private final MethodDescriptor<String, String> method;

        StubCall(MethodDescriptor<String, String> method) {
            this.method = method;
        }

        @Override
        public void request(int numMessages) {
        }

        @Override
        public void sendHeaders(Metadata headers) {
        }

        @Override
        public void sendMessage(String message) {
        }

        @Override
        public void close(Status status, Metadata trailers) {
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public MethodDescriptor<String, String> getMethodDescriptor() {
            return method;
        }
    }
}
