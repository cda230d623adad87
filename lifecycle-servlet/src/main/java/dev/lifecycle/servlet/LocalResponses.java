package dev.lifecycle.servlet;

import java.io.IOException;
import java.util.Map;

import dev.lifecycle.core.LocalResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** Translates the core's {@link LocalResponse} (refusals, probe answers) to a servlet response. */
final class LocalResponses {

    private LocalResponses() {
    }

    /**
     * Writes {@code local} as the answer to {@code request}. {@code Connection: close} only over HTTP/1.x: HTTP/2
     * forbids connection-specific headers (RFC 9113 8.2.2), and strict clients reject a response that has one.
     */
    static void write(LocalResponse local, HttpServletRequest request, HttpServletResponse response, boolean head)
            throws IOException {
        response.setStatus(local.status());
        for (Map.Entry<String, String> header : local.headers().entrySet()) {
            response.setHeader(header.getKey(), header.getValue());
        }
        if (local.closeConnection() && ResponseCompletion.isHttp1(request)) {
            response.setHeader("Connection", "close");
        }
        response.setContentLength(local.contentLength());
        if (!head && local.contentLength() > 0) {
            response.getOutputStream().write(local.body());
        }
    }
}
