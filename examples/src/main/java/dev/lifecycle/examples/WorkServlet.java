package dev.lifecycle.examples;

import java.io.IOException;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** {@code GET /work?ms=N} ({@link Work}) as a servlet: the request's thread sleeps for the time asked. */
final class WorkServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String text = request.getParameter("ms");
        long ms = Work.millis(text);
        if (ms < 0) {
            JsonResponses.send(response, Work.badMillis(text));
            return;
        }
        try {
            // The sleep is the point: a request that stays in flight for a known time.
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            JsonResponses.send(response, ApiResponse.error(503, "interrupted"));
            return;
        }
        JsonResponses.send(response, Work.done(ms));
    }
}
