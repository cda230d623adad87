package dev.lifecycle.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;

import dev.lifecycle.servlet.LifecycleFilter;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code GET /events}: a server-sent event stream, the kind of request that would hold a drain for its whole timeout.
 * It sends {@code retry} and a {@code hello} event naming the replica, then stays open; marked long-lived, it is
 * told when the drain begins and ends with a last {@code reconnect} event, so that the client (an
 * {@code EventSource} reconnects by itself after {@code retry} ms) moves to another replica within the long-lived
 * bound ({@code LIFECYCLE_LONG_LIVED_DRAIN_TIMEOUT}) instead of being cut at the drain timeout.
 */
final class EventsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    static final String RECONNECT_EVENT = "event: reconnect\ndata: {\"reason\":\"draining\"}\n\n";

    private final String instanceId;
    // The drain listener must not block: the last event is written on another thread.
    private final transient Executor writer;

    EventsServlet(String instanceId, Executor writer) {
        this.instanceId = instanceId;
        this.writer = writer;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("text/event-stream;charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        ServletOutputStream out = response.getOutputStream();
        out.write(("retry: 1000\nevent: hello\ndata: {\"instance\":\"" + instanceId + "\"}\n\n")
                          .getBytes(StandardCharsets.UTF_8));
        out.flush();
        AsyncContext async = request.startAsync();
        async.setTimeout(0); // open until the client leaves or the drain begins
        LifecycleFilter.markLongLived(request, () -> writer.execute(() -> {
            try {
                out.write(RECONNECT_EVENT.getBytes(StandardCharsets.UTF_8));
            } catch (IOException clientGone) {
                // nothing to tell
            }
            async.complete();
        }));
    }
}
