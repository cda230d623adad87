package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@link GrpcLoad} against a grpc-java server on the loopback, and its classification of statuses. */
class GrpcLoadTest {

    private static final Metadata.Key<String> INSTANCE = Metadata.Key.of("x-instance",
            Metadata.ASCII_STRING_MARSHALLER);

    @Test
    void everyStatusButOkIsAFailureClassifiedByWhatHappened() {
        assertThat(GrpcLoad.classify(Status.OK, true)).isEqualTo(Outcome.OK);
        assertThat(GrpcLoad.classify(Status.UNAVAILABLE.withDescription("draining"), true))
                .as("the service's own answer").isEqualTo(Outcome.HTTP_ERROR);
        assertThat(GrpcLoad.classify(Status.UNAVAILABLE.withDescription("io exception")
                .withCause(new ConnectException("finishConnect(..) failed: Connection refused: /10.96.0.10:80")),
                false)).isEqualTo(Outcome.CONNECT_REFUSED);
        assertThat(GrpcLoad.classify(Status.DEADLINE_EXCEEDED, false)).isEqualTo(Outcome.READ_TIMEOUT);
        assertThat(GrpcLoad.classify(Status.UNAVAILABLE.withDescription(
                "RST_STREAM closed stream. HTTP/2 error code: REFUSED_STREAM"), false)).isEqualTo(Outcome.RESET);
        assertThat(GrpcLoad.classify(Status.UNAVAILABLE.withDescription(
                "Connection closed after GOAWAY. HTTP/2 error code: NO_ERROR"), false))
                .isEqualTo(Outcome.EOF_NO_RESPONSE);
        assertThat(GrpcLoad.classify(Status.INTERNAL.withDescription("bad frame"), false))
                .isEqualTo(Outcome.PROTOCOL_ERROR);
        assertThat(GrpcLoad.classify(Status.UNKNOWN, false)).isEqualTo(Outcome.IO_ERROR);
    }

    @Test
    void recordsEveryScheduledCallOnceWithItsReplicaAndStatus() throws Exception {
        // List and Work answer with the instance in the headers; Create is refused as a draining service would.
        Server server = ServerBuilder.forPort(0).addService(users("s1")).build().start();
        try {
            GrpcLoad load = new GrpcLoad("127.0.0.1", server.getPort(), 100, 2, Duration.ofSeconds(5), "X-Instance",
                    new Timeline());
            load.start(Duration.ofSeconds(30));
            await().atMost(Duration.ofSeconds(30)).until(() -> load.records().size() >= 60);
            load.stop(Duration.ofSeconds(10));

            List<RequestRecord> records = load.records();
            assertThat(records).hasSize((int) load.scheduled());
            assertThat(records.stream().map(RequestRecord::sequence).distinct()).hasSize(records.size());
            assertThat(records).allSatisfy(r -> {
                assertThat(r.replica()).isEqualTo("s1");
                assertThat(r.connection()).isBetween(0, 1);
                if (r.request().equals("Create")) {
                    assertThat(r.outcome()).isEqualTo(Outcome.HTTP_ERROR);
                    assertThat(r.status()).isEqualTo(Status.Code.UNAVAILABLE.value());
                    assertThat(r.detail()).isEqualTo("UNAVAILABLE: draining");
                } else {
                    assertThat(r.outcome()).isEqualTo(Outcome.OK);
                    assertThat(r.status()).isZero();
                }
            });
            Map<String, Long> calls = records.stream()
                    .collect(Collectors.groupingBy(RequestRecord::request, Collectors.counting()));
            assertThat(calls).containsKeys("List", "Create", "Work");
            assertThat(load.reconnects()).isZero();
        } finally {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static ServerServiceDefinition users(String instance) {
        ServerServiceDefinition.Builder service = ServerServiceDefinition.builder(GrpcLoad.SERVICE);
        for (String method : List.of("List", "Create", "Work")) {
            service.addMethod(MethodDescriptor.<byte[], byte[]>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName(MethodDescriptor.generateFullMethodName(GrpcLoad.SERVICE, method))
                    .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build(), answer(instance, method));
        }
        return service.build();
    }

    private static ServerCallHandler<byte[], byte[]> answer(String instance, String method) {
        return (call, headers) -> {
            call.request(1);
            return new ServerCall.Listener<>() {
                @Override
                public void onHalfClose() {
                    if (method.equals("Create")) {
                        Metadata trailers = new Metadata();
                        trailers.put(INSTANCE, instance);
                        call.close(Status.UNAVAILABLE.withDescription("draining"), trailers);
                        return;
                    }
                    Metadata responseHeaders = new Metadata();
                    responseHeaders.put(INSTANCE, instance);
                    call.sendHeaders(responseHeaders);
                    call.sendMessage("{}".getBytes(StandardCharsets.UTF_8));
                    call.close(Status.OK, new Metadata());
                }
            };
        };
    }

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
}
