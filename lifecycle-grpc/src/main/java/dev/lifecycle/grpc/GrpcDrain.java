package dev.lifecycle.grpc;

import io.grpc.Context;

/**
 * The drain as one streaming call sees it: how a service finishes a long stream cleanly when the server drains.
 *
 * <p>{@link GrpcLifecycle}'s interceptor counts a streaming call (client, server or bidirectional streaming) as a
 * long-lived request. When the drain begins, the interceptor ends it with {@code UNAVAILABLE} (a status gRPC clients
 * retry), after the server sent GOAWAY, so that the client opens its next call on another replica; from then on the
 * service's {@code onNext} throws a {@code StatusRuntimeException} with {@code UNAVAILABLE}, as it would had the
 * client cancelled. A service that wants to end the stream itself, with a last message or a status of its own,
 * registers a drain action instead, from the call's handler, where the call's gRPC {@link Context} is current:
 *
 * <pre>{@code
 * public void watch(WatchRequest request, StreamObserver<Event> events) {
 *     GrpcDrain.current().onDrain(() -> executor.execute(() -> {
 *         events.onNext(lastEvent());
 *         events.onError(Status.UNAVAILABLE.withDescription("server shutting down; reconnect")
 *                                          .asRuntimeException());
 *     }));
 *     ...
 * }
 * }</pre>
 *
 * A stream the service has not ended within the lifecycle's long-lived drain timeout is cancelled by the server's
 * stop (see {@link GrpcLifecycle#stopOnShutdown}).
 */
public interface GrpcDrain {

    /**
     * The drain of the streaming call whose gRPC {@link Context} is current: call it from the service method or a
     * listener callback of that call, not from another thread (unless the context was propagated to it).
     *
     * @throws IllegalStateException if the current context is not that of a streaming call counted by a
     *     {@link GrpcLifecycle} interceptor (a unary call, an excluded service, or no call at all)
     */
    static GrpcDrain current() {
        GrpcDrain drain = LifecycleServerInterceptor.DRAIN.get();
        if (drain == null) {
            throw new IllegalStateException("GrpcDrain.current(): the current gRPC context is not that of a streaming "
                                            + "call counted by a GrpcLifecycle interceptor");
        }
        return drain;
    }

    /** Whether the drain has begun for this call: it should end soon. */
    boolean isDraining();

    /**
     * Replaces the default drain action (end the call with {@code UNAVAILABLE}) with {@code action}, which should
     * end the call soon, with {@code onCompleted()} or {@code onError(...)}. It runs once: on the thread beginning
     * the drain, after the server sent GOAWAY, so it must not block (hand the work over to an executor); or at once,
     * on the caller's thread, if the drain has already begun. Only the first action registered counts; after the call
     * has ended, registering does nothing.
     *
     * @throws NullPointerException if {@code action} is {@code null}
     */
    void onDrain(Runnable action);
}
