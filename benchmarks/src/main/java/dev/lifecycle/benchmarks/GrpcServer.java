package dev.lifecycle.benchmarks;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.grpc.GrpcLifecycle;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;

/**
 * A unary gRPC method, {@value #METHOD}, that answers any request with the 6 bytes of "hello", on grpc-java
 * (grpc-netty-shaded, default executor): bare, or with the lifecycle's interceptor and health service as a user
 * would add them ({@link GrpcLifecycle}). Messages are raw bytes, no protobuf: an empty request is also a valid
 * empty protobuf message, so a load generator can send the 5-byte frame {@code 00 00000000}.
 */
final class GrpcServer {

    static final String METHOD = "bench.Bench/Hello";

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
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
    private static final MethodDescriptor<byte[], byte[]> HELLO =
            MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
                            .setFullMethodName(METHOD).setRequestMarshaller(BYTES).setResponseMarshaller(BYTES)
                            .build();

    private GrpcServer() {
    }

    static void start(int port, Lifecycle lifecycle) throws IOException {
        ServerServiceDefinition hello = ServerServiceDefinition.builder("bench.Bench")
                .addMethod(HELLO, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext(EndToEndServer.BODY);
                    response.onCompleted();
                })).build();
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                                                       .addService(hello);
        if (lifecycle == null) {
            builder.build().start();
            return;
        }
        GrpcLifecycle grpc = GrpcLifecycle.of(lifecycle);
        Server server = builder.addService(grpc.healthService()).intercept(grpc.interceptor()).build().start();
        grpc.stopOnShutdown(server);
    }
}
