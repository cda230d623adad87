package dev.lifecycle.servlet;

import java.io.IOException;
import java.util.Map;

import dev.lifecycle.core.LocalResponse;
import jakarta.servlet.http.HttpServletResponse;

/** Translates the core's {@link LocalResponse} (refusals, probe answers) to a servlet response. */
final class LocalResponses {

    private LocalResponses() {
    }

    static void write(LocalResponse local, HttpServletResponse response, boolean head) throws IOException {
        response.setStatus(local.status());
        for (Map.Entry<String, String> header : local.headers().entrySet()) {
            response.setHeader(header.getKey(), header.getValue());
        }
        if (local.closeConnection()) {
            response.setHeader("Connection", "close");
        }
        response.setContentLength(local.contentLength());
        if (!head && local.contentLength() > 0) {
            response.getOutputStream().write(local.body());
        }
    }
}
