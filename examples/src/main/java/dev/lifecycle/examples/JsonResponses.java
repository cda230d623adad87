package dev.lifecycle.examples;

import java.io.IOException;
import java.util.Map;

import jakarta.servlet.http.HttpServletResponse;

/** Writes the API's responses on the servlet side. */
final class JsonResponses {

    private JsonResponses() {
    }

    static void send(HttpServletResponse response, ApiResponse api) throws IOException {
        byte[] bytes = api.bodyBytes();
        response.setStatus(api.status());
        for (Map.Entry<String, String> header : api.headers().entrySet()) {
            response.setHeader(header.getKey(), header.getValue());
        }
        response.setContentType(ApiResponse.CONTENT_TYPE);
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }
}
