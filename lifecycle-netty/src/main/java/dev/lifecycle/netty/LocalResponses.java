package dev.lifecycle.netty;

import java.nio.charset.StandardCharsets;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.LocalResponse;
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
 * The responses the handler writes itself: the lifecycle's {@link LocalResponse}s (probes, refusals) translated to
 * Netty's types, and the {@code 4xx} to a request Netty could not decode, which is the server's answer, not the
 * lifecycle's.
 */
final class LocalResponses {

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

    /**
     * The lifecycle's answer to a probe: {@code 200} or {@code 503} with the health JSON for {@code GET}, the same
     * without the body for {@code HEAD}, {@code 405} for other methods (no check runs). May block: it runs the checks.
     */
    FullHttpResponse probe(Probe probe, HttpMethod method, HttpVersion version) {
        boolean head = HttpMethod.HEAD.equals(method);
        if (!head && !HttpMethod.GET.equals(method)) {
            return translate(LocalResponse.probeMethodNotAllowed(), version, false);
        }
        return translate(lifecycle.probeResponse(probe, showDetails), version, head);
    }

    /**
     * The lifecycle's refusal of a request that was not admitted: {@code 503} (or {@code 429} under
     * {@code REJECT_429}) with {@code Retry-After}, after which the connection closes.
     */
    LocalResponse refusal() {
        return lifecycle.refusal();
    }

    /**
     * {@code response} as Netty's: its status, headers and body, and {@code Content-Length}; {@code Connection} is
     * the handler's to set. A {@code HEAD} answer keeps the headers of the {@code GET} one, without the body.
     */
    static FullHttpResponse translate(LocalResponse response, HttpVersion version, boolean head) {
        HttpResponseStatus status = new HttpResponseStatus(response.status(), response.reasonPhrase());
        ByteBuf body = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(response.body());
        FullHttpResponse translated = new DefaultFullHttpResponse(version, status, body);
        response.headers().forEach(translated.headers()::set);
        translated.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.contentLength());
        return translated;
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
}
