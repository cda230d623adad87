package dev.lifecycle.zerodowntime;

/**
 * Clients that run beside the raw open-loop generator (which always runs: it sees every failure the server causes).
 * Each is a real client with its own pool, used as its users use it, default retries included.
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
    HEY
}
