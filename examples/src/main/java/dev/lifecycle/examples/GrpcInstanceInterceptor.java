package dev.lifecycle.examples;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Adds {@code x-instance} (the replica that answered) to every call's response headers, or to its trailers when it
 * ends without headers (errors, refusals), as {@link InstanceHeaderFilter} does over HTTP.
 */
final class GrpcInstanceInterceptor implements ServerInterceptor {

    static final Metadata.Key<String> INSTANCE = Metadata.Key.of("x-instance", Metadata.ASCII_STRING_MARSHALLER);

    private final String instanceId;

    GrpcInstanceInterceptor(String instanceId) {
        this.instanceId = instanceId;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            private boolean headersSent;

            @Override
            public void sendHeaders(Metadata responseHeaders) {
                headersSent = true;
                responseHeaders.put(INSTANCE, instanceId);
                super.sendHeaders(responseHeaders);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                if (!headersSent) {
                    trailers.put(INSTANCE, instanceId);
                }
                super.close(status, trailers);
            }
        }, headers);
    }
}
