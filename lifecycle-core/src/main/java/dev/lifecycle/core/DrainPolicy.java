package dev.lifecycle.core;

import java.util.Locale;

/**
 * What a request gets when it reaches the service after the drain began (after the pre-stop delay, once the load
 * balancers were given time to stop sending new connections). Such a request almost always comes on a keep-alive
 * connection that a pooled client opened earlier and kept idle: it cannot know the pod is going away.
 *
 * <p>{@link #SERVE_AND_CLOSE}, the default, fails no request that reaches the service: it is what Jetty's graceful
 * shutdown and Quarkus do. The two {@code REJECT_*} policies shed load instead, as kube-apiserver does with 429; the
 * client must retry, which is only safe for idempotent requests or clients that honour {@code Retry-After}.
 */
public enum DrainPolicy {

    /**
     * A request that arrives during the drain is admitted and served, and its response carries
     * {@code Connection: close} (HTTP/1.1) so that the client reconnects, through the Service, to a replica that
     * stays. Admission closes for good the moment no request is in flight any more: the drain is then over, and a
     * request that arrives after that (the server is stopping) gets {@code 503}. Adapters also close idle keep-alive
     * connections when the drain begins, so few connections are left for such a late request.
     */
    SERVE_AND_CLOSE("serve-and-close"),

    /** Admission closes when the drain begins; later requests get {@code 503}, {@code Retry-After} and
     * {@code Connection: close}. The behaviour of lifecycle 0.1. */
    REJECT_503("reject-503"),

    /** Like {@link #REJECT_503}, with {@code 429 Too Many Requests}, which some clients retry where they would not
     * retry a {@code 503}. */
    REJECT_429("reject-429");

    private final String value;

    DrainPolicy(String value) {
        this.value = value;
    }

    /** The policy's name in {@code LIFECYCLE_DRAIN_POLICY}: {@code serve-and-close}, {@code reject-503} or
     * {@code reject-429}. */
    public String value() {
        return value;
    }

    /**
     * Parses the value of {@code variable}.
     *
     * @throws IllegalArgumentException naming the variable, the value and the expected ones
     */
    static DrainPolicy parse(String variable, String text) {
        String normalized = text.trim().toLowerCase(Locale.ROOT);
        for (DrainPolicy policy : values()) {
            if (policy.value.equals(normalized)) {
                return policy;
            }
        }
        throw new IllegalArgumentException(variable + ": '" + text
                                           + "' (expected: serve-and-close, reject-503 or reject-429)");
    }
}
