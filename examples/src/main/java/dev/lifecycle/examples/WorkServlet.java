package dev.lifecycle.examples;

import java.io.IOException;

import com.fasterxml.jackson.databind.node.ObjectNode;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code GET /work?ms=N}: a slow request that takes N milliseconds (0 to 60000), so that a rollout can be watched with
 * requests in flight. A missing or bad {@code ms} gets 400.
 */
final class WorkServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    static final long MAX_MS = 60_000;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String text = request.getParameter("ms");
        long ms = -1;
        if (text != null && text.matches("[0-9]{1,6}")) {
            ms = Long.parseLong(text);
        }
        if (ms < 0 || ms > MAX_MS) {
            JsonResponses.error(response, 400, "ms: '" + text + "' (expected: 0 to " + MAX_MS + ")");
            return;
        }
        try {
            // The sleep is the point: a request that stays in flight for a known time.
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            JsonResponses.error(response, 503, "interrupted");
            return;
        }
        ObjectNode body = JsonResponses.MAPPER.createObjectNode();
        body.put("workedMs", ms);
        JsonResponses.send(response, 200, body);
    }
}
