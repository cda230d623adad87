package dev.lifecycle.netty;

import java.nio.charset.StandardCharsets;

import dev.lifecycle.core.Health;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.Probe;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

/**
 * The responses the handler writes itself: probes, the {@code 503} to a refused request, and the {@code 4xx} to a
 * request Netty could not decode.
 */
final class LocalResponses {

    private static final byte[] REFUSED_BODY = "Service Unavailable\n".getBytes(StandardCharsets.US_ASCII);

    private final Lifecycle lifecycle;
    private final String livenessPath;
    private final String readinessPath;
    private final String startupPath;
    private final boolean showDetails;

    LocalResponses(Lifecycle lifecycle, String livenessPath, String readinessPath, String startupPath,
                   boolean showDetails) {
        this.lifecycle = lifecycle;
        this.livenessPath = livenessPath;
        this.readinessPath = readinessPath;
        this.startupPath = startupPath;
        this.showDetails = showDetails;
    }

    /** The probe whose path is {@code uri}'s path (the query ignored), or {@code null}. Allocates nothing. */
    Probe probeFor(String uri) {
        int end = uri.indexOf('?');
        if (end < 0) {
            end = uri.length();
        }
        if (isPath(uri, end, livenessPath)) {
            return Probe.LIVENESS;
        }
        if (isPath(uri, end, readinessPath)) {
            return Probe.READINESS;
        }
        if (isPath(uri, end, startupPath)) {
            return Probe.STARTUP;
        }
        return null;
    }

    private static boolean isPath(String uri, int end, String path) {
        return end == path.length() && uri.startsWith(path);
    }

    /** {@code 200} or {@code 503} with the health JSON for GET and HEAD (no body), {@code 405} otherwise. */
    FullHttpResponse probe(Probe probe, HttpMethod method, HttpVersion version) {
        boolean head = HttpMethod.HEAD.equals(method);
        if (!head && !HttpMethod.GET.equals(method)) {
            FullHttpResponse response = new DefaultFullHttpResponse(version, HttpResponseStatus.METHOD_NOT_ALLOWED,
                                                                    Unpooled.EMPTY_BUFFER);
            response.headers()
                    .set(HttpHeaderNames.ALLOW, "GET, HEAD")
                    .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            return response;
        }
        Health health = lifecycle.health(probe);
        byte[] json = health.toJson(probe, showDetails).getBytes(StandardCharsets.UTF_8);
        HttpResponseStatus status = health.isUp(probe) ? HttpResponseStatus.OK
                                                       : HttpResponseStatus.SERVICE_UNAVAILABLE;
        ByteBuf body = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(json);
        FullHttpResponse response = new DefaultFullHttpResponse(version, status, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, json.length);
        return response;
    }

    /**
     * The status for a request whose decoding failed with {@code cause}: {@code 431} for a header too large,
     * {@code 414} for a request line too long, {@code 400} otherwise.
     */
    static HttpResponseStatus statusFor(Throwable cause) {
        if (cause instanceof TooLongHttpHeaderException) {
            return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        }
        if (cause instanceof TooLongHttpLineException) {
            return HttpResponseStatus.REQUEST_URI_TOO_LONG;
        }
        return HttpResponseStatus.BAD_REQUEST;
    }

    /**
     * {@code status} with a short plain-text body (its reason phrase), to a request Netty could not decode. Always
     * HTTP/1.1, so that {@code Connection: close} is explicit: the version of such a request may be unknown, and Netty
     * then reports HTTP/1.0.
     */
    FullHttpResponse badRequest(HttpResponseStatus status) {
        byte[] body = (status.reasonPhrase() + '\n').getBytes(StandardCharsets.US_ASCII);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                                                                Unpooled.wrappedBuffer(body));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return response;
    }

    /** {@code 503} with {@code Retry-After}, to a request that was not admitted. */
    FullHttpResponse refusal(HttpVersion version) {
        FullHttpResponse response = new DefaultFullHttpResponse(version, HttpResponseStatus.SERVICE_UNAVAILABLE,
                                                                Unpooled.wrappedBuffer(REFUSED_BODY));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                .set(HttpHeaderNames.RETRY_AFTER, Long.toString(lifecycle.retryAfterSeconds()))
                .setInt(HttpHeaderNames.CONTENT_LENGTH, REFUSED_BODY.length);
        return response;
    }
}
