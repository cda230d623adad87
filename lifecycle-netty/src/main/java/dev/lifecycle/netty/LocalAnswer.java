package dev.lifecycle.netty;

import io.netty.handler.codec.http.FullHttpResponse;

/**
 * A request the handler answers itself, in its place among the connection's {@link PendingResponses}: a probe, a
 * {@code 405} to a probe, a refusal, or the answer to a request Netty could not decode. A probe's answer is computed
 * off the event loop, so its response may arrive after its place was taken; it is written once it is ready and at
 * the head.
 */
final class LocalAnswer {

    /** Whether the request allows the connection to stay open after this answer. */
    final boolean keepAlive;
    /** {@code null} while a probe's answer is being computed, and once written or released. */
    private FullHttpResponse response;

    LocalAnswer(boolean keepAlive, FullHttpResponse response) {
        this.keepAlive = keepAlive;
        this.response = response;
    }

    boolean isReady() {
        return response != null;
    }

    /** Sets the answer computed for a probe. */
    void complete(FullHttpResponse response) {
        this.response = response;
    }

    /** Takes the response to write it: the answer holds nothing afterwards. */
    FullHttpResponse take() {
        FullHttpResponse taken = response;
        response = null;
        return taken;
    }

    /** Releases a response that will never be written. */
    void release() {
        if (response != null) {
            response.release();
            response = null;
        }
    }
}
