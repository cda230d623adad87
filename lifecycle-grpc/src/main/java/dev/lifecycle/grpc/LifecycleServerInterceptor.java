package dev.lifecycle.grpc;

import java.util.Set;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Counts each call in the lifecycle's tracker, from its arrival until the server reports it closed: the listener's
 * {@code onComplete} (the status was sent) or {@code onCancel} (the client cancelled, the deadline passed, the
 * connection broke). grpc-java calls exactly one of the two for every call whose listener it got, so each admitted
 * call is counted out exactly once; a handler whose {@code startCall} throws is counted out at once.
 *
 * <p>A call that is not admitted (the service is not ready yet, or admission has closed for the drain) is closed at
 * once with {@code UNAVAILABLE} and never reaches the service, with one exception. When a server is tied to the
 * drain ({@link GrpcLifecycle#stopOnShutdown}), GOAWAY goes to every connection as soon as the drain begins; under
 * {@code SERVE_AND_CLOSE} calls are admitted while any is in flight, and a unary call that arrives after admission
 * closed for good was sent by a client that had not received GOAWAY yet (a client sends nothing new on a connection
 * after GOAWAY): it is served, uncounted, and the stop action's wait for the server's termination covers it. Refusing it would fail a call that the client could not have sent elsewhere; and HTTP/2 refuses the streams
 * that come after the last one GOAWAY announced, with {@code REFUSED_STREAM}, which clients retry on their own. A
 * streaming call in that position is refused: had it been admitted, the drain would have ended it at once. Unary calls cost one tracker admission and one
 * listener; streaming calls are wrapped in a {@link StreamingCall}, marked long-lived, and see their
 * {@link GrpcDrain} through the gRPC {@link Context}. Calls to the excluded services (the health service among them)
 * are passed through uncounted and never refused.
 */
final class LifecycleServerInterceptor implements ServerInterceptor {

    /** The drain of the current streaming call; see {@link GrpcDrain#current()}. */
    static final Context.Key<GrpcDrain> DRAIN = Context.key("dev.lifecycle.grpc.GrpcDrain");

    /** What the drain-timeout report shows in place of an HTTP method. */
    static final String METHOD = "gRPC";

    private static final ServerCall.Listener<Object> REFUSED_LISTENER = new ServerCall.Listener<>() {
    };

    private final GrpcLifecycle grpc;
    private final InflightTracker tracker;
    private final Set<String> excludedServices;

    LifecycleServerInterceptor(GrpcLifecycle grpc, Set<String> excludedServices) {
        this.grpc = grpc;
        this.tracker = grpc.lifecycle.tracker();
        this.excludedServices = excludedServices;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        MethodDescriptor<Q, R> method = call.getMethodDescriptor();
        String service = method.getServiceName();
        if (service != null && excludedServices.contains(service)) {
            return next.startCall(call, headers);
        }
        boolean unary = method.getType() == MethodDescriptor.MethodType.UNARY;
        if (unary && tracker.isClosed() && grpc.racedGoaway()) {
            // Sent before its client received GOAWAY: served, uncounted; the server's termination waits for it.
            grpc.servedAfterGoaway.increment();
            return next.startCall(call, headers);
        }
        InflightRequest request = tracker.tryEnter(METHOD, method.getFullMethodName());
        if (!request.admitted()) {
            grpc.refuse(call);
            @SuppressWarnings("unchecked") // it ignores every message
            ServerCall.Listener<Q> refused = (ServerCall.Listener<Q>) REFUSED_LISTENER;
            return refused;
        }
        if (unary) {
            ServerCall.Listener<Q> listener;
            try {
                listener = next.startCall(call, headers);
            } catch (RuntimeException | Error e) {
                request.exit();
                throw e;
            }
            return new CountedListener<>(listener, request);
        }
        StreamingCall<Q, R> streaming = new StreamingCall<>(call, grpc);
        ServerCall.Listener<Q> listener;
        try {
            listener = Contexts.interceptCall(Context.current().withValue(DRAIN, streaming), streaming, headers, next);
        } catch (RuntimeException | Error e) {
            request.exit();
            throw e;
        }
        // After startCall, so that a bidirectional or client-streaming handler could register its drain action
        // first; if admission closed meanwhile, the drain signal runs right here.
        request.markLongLived(streaming::drain);
        return new CountedListener<>(listener, request);
    }

    /** Counts the call out when the server reports it closed. */
    private static final class CountedListener<Q> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
        private final InflightRequest request;

        CountedListener(ServerCall.Listener<Q> delegate, InflightRequest request) {
            super(delegate);
            this.request = request;
        }

        @Override
        public void onComplete() {
            try {
                super.onComplete();
            } finally {
                request.exit();
            }
        }

        @Override
        public void onCancel() {
            try {
                super.onCancel();
            } finally {
                request.exit();
            }
        }
    }
}
