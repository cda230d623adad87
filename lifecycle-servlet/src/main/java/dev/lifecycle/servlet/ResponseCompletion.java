package dev.lifecycle.servlet;

import java.io.IOException;

import dev.lifecycle.core.Lifecycle;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Ends a response before its request stops being counted: closing the response's stream (or writer) makes the
 * container commit it and write what it still buffers, blocking until the socket took the last byte. Without it, the
 * container writes the buffered tail after the filter has returned, so the drain could end, and the server stop,
 * before a slow client had the whole response.
 */
final class ResponseCompletion {

    private ResponseCompletion() {
    }

    /** Whether the request came over HTTP/1.x, where {@code Connection: close} exists; HTTP/2 forbids it. */
    static boolean isHttp1(jakarta.servlet.ServletRequest request) {
        String protocol = request.getProtocol();
        return protocol == null || !protocol.startsWith("HTTP/2");
    }

    static void finish(ServletResponse response, Lifecycle lifecycle, boolean http1) {
        if (http1 && lifecycle.isDraining() && response instanceof HttpServletResponse) {
            HttpServletResponse http = (HttpServletResponse) response;
            if (!http.isCommitted()) {
                // Admitted before the drain began, ends during it: the client reconnects elsewhere.
                http.setHeader("Connection", "close");
            }
            if ("close".equalsIgnoreCase(http.getHeader("Connection"))) {
                lifecycle.connections().closedAfterResponse();
            }
        }
        try {
            try {
                response.getOutputStream().close();
            } catch (IllegalStateException writerInUse) {
                response.getWriter().close();
            }
        } catch (IOException | IllegalStateException ended) {
            // The client has gone, or the response has already ended: the container ends the request as it would.
        }
    }
}
