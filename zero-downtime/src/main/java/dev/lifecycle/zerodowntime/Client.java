package dev.lifecycle.zerodowntime;

/**
 * Clients that run beside the raw open-loop generator (which runs unless turned off for a service that does not speak
 * HTTP/1.1: it sees every failure the server causes). Each is a real client with its own pool, used as its users use
 * it, default retries included.
 */
public enum Client {
    /** The JDK's {@code java.net.http.HttpClient} (HTTP/1.1), in bursts so that its pooled connections sit idle. */
    JDK,
    /** Apache HttpClient 5 classic with its pooling connection manager, in bursts. */
    APACHE,
    /**
     * {@code hey} (Go's net/http) sending POSTs at a low rate per worker, so its idle connections are reused after
     * pauses; Go never retries a POST.
     */
    HEY,
    /**
     * The JDK's {@code java.net.http.HttpClient} over HTTP/2 (h2c by the HTTP/1.1 upgrade): one client, so one
     * multiplexed connection that only {@code GOAWAY} moves, at the load's steady rate. Run by the JDK given in
     * {@link RolloutHarnessBuilder#http2ClientJava}: before JDK 24 this client fails the requests it has in flight
     * when a {@code GOAWAY} arrives (JDK-8335181).
     */
    JDK_HTTP2,
    /**
     * grpc-java calling the example service's users API ({@code lifecycle.examples.Users}) over long-lived channels
     * (the load's {@code connections}), at the load's rate, grpc-java's defaults otherwise (transparent retries only).
     * For gRPC replicas: turn the raw HTTP/1.1 generator off ({@link RolloutHarnessBuilder#rawGenerator}); needs the
     * {@link DataPlane#KUBE_PROXY} data plane (readiness is the exec probe on the ready-file).
     */
    GRPC
}
