package dev.lifecycle.servlet.undertow;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import dev.lifecycle.core.Lifecycle;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.ServerConnection;
import io.undertow.util.AttachmentKey;

/**
 * Connects Undertow to the drain: when the drain begins, idle HTTP/1.1 keep-alive connections (no exchange in
 * progress) are closed by the server, with a FIN, so that pooled clients open their next connection to another
 * replica instead of sending a request to a closing one. Connections busy with a request get
 * {@code Connection: close} on their response from the {@code LifecycleFilter}, as without this class. The closed
 * connections are reported to {@link Lifecycle#connections()}.
 *
 * <p>Undertow has no list of its connections, so this is a handler that learns them from their requests; put it
 * first, around the servlet deployment's handler:
 *
 * <pre>{@code
 * Undertow.builder().addHttpListener(8080, "0.0.0.0")
 *         .setHandler(UndertowLifecycle.handler(lifecycle, deploymentManager.start()))
 * }</pre>
 *
 * A connection that never sent a request is not known, so not closed: its first request is served with
 * {@code Connection: close}. Needs {@code undertow-core} on the class path.
 */
public final class UndertowLifecycle {

    private static final AttachmentKey<AtomicInteger> EXCHANGES = AttachmentKey.create(AtomicInteger.class);

    private UndertowLifecycle() {
    }

    /**
     * Returns a handler that passes every exchange to {@code next} and closes the idle connections it has seen when
     * the drain of {@code lifecycle} begins.
     *
     * @throws NullPointerException if an argument is {@code null}
     */
    public static HttpHandler handler(Lifecycle lifecycle, HttpHandler next) {
        requireNonNull(lifecycle, "lifecycle cannot be null");
        requireNonNull(next, "next cannot be null");
        ConnectionsHandler handler = new ConnectionsHandler(next);
        lifecycle.tracker().onClose(() -> lifecycle.connections().closedIdle(handler.closeIdleConnections()));
        return handler;
    }

    /** Knows the open connections and how many exchanges each has in progress. */
    static final class ConnectionsHandler implements HttpHandler {

        private final HttpHandler next;
        private final Set<ServerConnection> connections = ConcurrentHashMap.newKeySet();

        ConnectionsHandler(HttpHandler next) {
            this.next = next;
        }

        @Override
        public void handleRequest(HttpServerExchange exchange) throws Exception {
            ServerConnection connection = exchange.getConnection();
            AtomicInteger exchanges = connection.getAttachment(EXCHANGES);
            if (exchanges == null) {
                exchanges = new AtomicInteger();
                connection.putAttachment(EXCHANGES, exchanges);
                connections.add(connection);
                connection.addCloseListener(connections::remove);
            }
            AtomicInteger inProgress = exchanges;
            inProgress.incrementAndGet();
            exchange.addExchangeCompleteListener((completed, nextListener) -> {
                inProgress.decrementAndGet();
                nextListener.proceed();
            });
            next.handleRequest(exchange);
        }

        int closeIdleConnections() {
            int closed = 0;
            for (ServerConnection connection : connections) {
                AtomicInteger exchanges = connection.getAttachment(EXCHANGES);
                if (exchanges != null && exchanges.get() == 0 && connection.isOpen()) {
                    try {
                        connection.close();
                        closed++;
                    } catch (IOException alreadyGone) {
                        // closed by the peer meanwhile
                    }
                }
            }
            return closed;
        }
    }
}
