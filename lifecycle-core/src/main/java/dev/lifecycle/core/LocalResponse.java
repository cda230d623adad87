package dev.lifecycle.core;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A response that a server adapter writes itself, without calling the application: a probe's answer or the refusal
 * of a request that was not admitted. Defined once here so that every adapter answers alike; an adapter only
 * translates it to its server's types (see {@link Lifecycle#refusal()} and
 * {@link Lifecycle#probeResponse(Probe, boolean)}).
 *
 * <p>{@link #headers()} never holds {@code Connection}: HTTP/2 forbids connection-specific headers, so the adapter
 * adds {@code Connection: close} on HTTP/1.1 when {@link #closeConnection()} is {@code true}, and closes the
 * connection after the response. A {@code HEAD} request gets the same status and headers without the body.
 */
public final class LocalResponse {

    static final String TEXT_PLAIN = "text/plain;charset=utf-8";
    static final String APPLICATION_JSON = "application/json";

    private static final LocalResponse PROBE_METHOD_NOT_ALLOWED =
            new LocalResponse(405, "Method Not Allowed", headers("Allow", "GET, HEAD", "Cache-Control", "no-store"),
                              new byte[0], false);

    private final int status;
    private final String reasonPhrase;
    private final Map<String, String> headers;
    private final byte[] body;
    private final boolean closeConnection;

    LocalResponse(int status, String reasonPhrase, Map<String, String> headers, byte[] body,
                  boolean closeConnection) {
        this.status = status;
        this.reasonPhrase = requireNonNull(reasonPhrase, "reasonPhrase");
        this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        this.body = body;
        this.closeConnection = closeConnection;
    }

    /** A refusal: {@code status}, {@code Retry-After}, a plain-text body naming the reason, connection closed. */
    static LocalResponse refusal(int status, String reasonPhrase, long retryAfterSeconds, String reason) {
        byte[] body = (reasonPhrase + ": " + reason + '\n').getBytes(StandardCharsets.UTF_8);
        return new LocalResponse(status, reasonPhrase,
                                 headers("Content-Type", TEXT_PLAIN,
                                         "Retry-After", Long.toString(retryAfterSeconds),
                                         "Cache-Control", "no-store"),
                                 body, true);
    }

    /** A probe's answer: {@code 200} or {@code 503} with the health JSON, never cached. */
    static LocalResponse probe(boolean up, String json, boolean closeConnection) {
        return new LocalResponse(up ? 200 : 503, up ? "OK" : "Service Unavailable",
                                 headers("Content-Type", APPLICATION_JSON, "Cache-Control", "no-store"),
                                 json.getBytes(StandardCharsets.UTF_8), closeConnection);
    }

    /** The answer to a probe path requested with a method other than {@code GET} or {@code HEAD}: {@code 405}. */
    public static LocalResponse probeMethodNotAllowed() {
        return PROBE_METHOD_NOT_ALLOWED;
    }

    private static Map<String, String> headers(String... namesAndValues) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            headers.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return headers;
    }

    /** The status code, such as {@code 503}. */
    public int status() {
        return status;
    }

    /** The reason phrase of the status, such as {@code Service Unavailable}. */
    public String reasonPhrase() {
        return reasonPhrase;
    }

    /**
     * The headers, in order, {@code Content-Length} and {@code Connection} excluded: {@code Content-Type},
     * {@code Cache-Control}, and {@code Retry-After} for a refusal, {@code Allow} for a 405.
     */
    public Map<String, String> headers() {
        return headers;
    }

    /** A copy of the body; empty for a 405. */
    public byte[] body() {
        return body.clone();
    }

    /** The body's length in bytes, the {@code Content-Length}. */
    public int contentLength() {
        return body.length;
    }

    /**
     * Whether the adapter closes the connection after this response, sending {@code Connection: close} on HTTP/1.1:
     * always for a refusal, and while the lifecycle {@linkplain Lifecycle#isDraining() drains}.
     */
    public boolean closeConnection() {
        return closeConnection;
    }

    @Override
    public String toString() {
        return "LocalResponse[" + status + ' ' + reasonPhrase + ", " + headers
               + (closeConnection ? ", close" : "") + ']';
    }
}
