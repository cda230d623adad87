package dev.lifecycle.servlet.jetty;

import static java.util.Objects.requireNonNull;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.internal.HttpConnection;

import dev.lifecycle.core.Lifecycle;

/**
 * Connects a Jetty 12 {@link Server} to the drain: when the drain begins, idle HTTP/1.1 keep-alive connections (no
 * request in progress, no byte of a next one read) are closed by the server, with a FIN, so that pooled clients open
 * their next connection to another replica instead of sending a request to a closing one. Connections busy with a
 * request get {@code Connection: close} on their response from the {@code LifecycleFilter}, as without this class.
 * The closed connections are reported to {@link Lifecycle#connections()}. HTTP/2 connections (with
 * {@code jetty-http2-server}) get Jetty's graceful GOAWAY instead, so that clients open their next streams on a new
 * connection; each closes once its last stream has ended.
 *
 * <pre>{@code
 * JettyLifecycle.install(server, lifecycle);
 * }</pre>
 *
 * <p>Unlike Jetty's own graceful {@code shutdown()}, this keeps the connectors accepting: a client that still reaches
 * the replica during the drain is served (and told to close), not refused. Needs {@code jetty-server} 12 on the class
 * path (an optional dependency of {@code lifecycle-servlet}).
 */
public final class JettyLifecycle {

    private static final boolean HTTP2 = isPresent("org.eclipse.jetty.http2.HTTP2Connection");

    private JettyLifecycle() {
    }

    private static boolean isPresent(String className) {
        try {
            Class.forName(className, false, JettyLifecycle.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * Closes the server's idle connections when the drain of {@code lifecycle} begins.
     *
     * @throws NullPointerException if an argument is {@code null}
     */
    public static void install(Server server, Lifecycle lifecycle) {
        requireNonNull(server, "server cannot be null");
        requireNonNull(lifecycle, "lifecycle cannot be null");
        lifecycle.tracker().onClose(() -> lifecycle.connections().closedIdle(closeIdleConnections(server)));
    }

    /** Closes the idle HTTP/1.1 connections of every connector; returns how many. */
    static int closeIdleConnections(Server server) {
        int closed = 0;
        for (Connector connector : server.getConnectors()) {
            for (EndPoint endPoint : connector.getConnectedEndPoints()) {
                Connection connection = endPoint.getConnection();
                if (HTTP2 && Http2Connections.goAway(connection)) {
                    continue;
                }
                if (connection instanceof HttpConnection && isIdle((HttpConnection) connection)
                    && endPoint.isOpen()) {
                    endPoint.close();
                    closed++;
                }
            }
        }
        return closed;
    }

    private static boolean isIdle(HttpConnection connection) {
        // Between two requests: the last one recycled, nothing of the next one parsed nor buffered.
        return connection.getHttpChannel().getRequest() == null && connection.getParser().isStart()
               && connection.isRequestBufferEmpty();
    }
}
