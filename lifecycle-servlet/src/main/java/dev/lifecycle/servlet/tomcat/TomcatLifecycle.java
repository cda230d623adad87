package dev.lifecycle.servlet.tomcat;

import static java.util.Objects.requireNonNull;

import java.lang.reflect.Method;
import java.util.concurrent.locks.Lock;

import org.apache.catalina.Service;
import org.apache.catalina.connector.Connector;
import org.apache.coyote.AbstractProtocol;
import org.apache.coyote.Processor;
import org.apache.coyote.ProtocolHandler;
import org.apache.tomcat.util.net.AbstractEndpoint;
import org.apache.tomcat.util.net.SocketWrapperBase;

import dev.lifecycle.core.Lifecycle;

/**
 * Connects Tomcat's connectors to the drain: when the drain begins, idle HTTP/1.1 keep-alive connections (waiting
 * for their next request, no processor attached) are closed by the server, with a FIN, so that pooled clients open
 * their next connection to another replica instead of sending a request to a closing one. Connections busy with a
 * request get {@code Connection: close} on their response from the {@code LifecycleFilter}, as without this class.
 * The closed connections are reported to {@link Lifecycle#connections()}. HTTP/2 connections (h2c or h2, with
 * Tomcat's {@code Http2Protocol}) get a GOAWAY instead, so that clients open their next streams on a new connection.
 *
 * <pre>{@code
 * TomcatLifecycle.install(tomcat.getService(), lifecycle);   // embedded: org.apache.catalina.startup.Tomcat
 * }</pre>
 *
 * <p>Tomcat's own {@code Connector.pause()} is not used: a paused connector answers {@code 503} to the next request
 * of every keep-alive connection, which is what this library avoids. Tomcat exposes a connector's connections only
 * through a protected method of its protocol handler, reached here by reflection (Tomcat 10.1 and 11). Needs
 * {@code tomcat-embed-core} (or Tomcat's {@code catalina} and {@code coyote}) on the class path.
 */
public final class TomcatLifecycle {

    private static final Method GET_ENDPOINT;
    // SocketWrapperBase.getLock() returns a Lock in Tomcat 10.1, a ReentrantLock in 11: a call compiled against one
    // fails with NoSuchMethodError on the other, so it is looked up by name.
    private static final Method GET_LOCK;

    static {
        try {
            GET_ENDPOINT = AbstractProtocol.class.getDeclaredMethod("getEndpoint");
            GET_ENDPOINT.setAccessible(true);
            GET_LOCK = SocketWrapperBase.class.getMethod("getLock");
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private TomcatLifecycle() {
    }

    /**
     * Closes the idle connections of every connector of {@code service} when the drain of {@code lifecycle} begins.
     *
     * @throws NullPointerException if an argument is {@code null}
     */
    public static void install(Service service, Lifecycle lifecycle) {
        requireNonNull(service, "service cannot be null");
        requireNonNull(lifecycle, "lifecycle cannot be null");
        lifecycle.tracker().onClose(() -> lifecycle.connections().closedIdle(closeIdleConnections(service)));
    }

    /** Closes the idle HTTP/1.1 connections of every connector; returns how many. */
    static int closeIdleConnections(Service service) {
        int closed = 0;
        for (Connector connector : service.findConnectors()) {
            ProtocolHandler handler = connector.getProtocolHandler();
            if (!(handler instanceof AbstractProtocol)) {
                continue;
            }
            for (SocketWrapperBase<?> socket : endpoint((AbstractProtocol<?>) handler).getConnections()) {
                // Tomcat processes a connection's events under its lock, taking the processor off the connection
                // meanwhile; between two requests the processor is released, an upgraded connection (HTTP/2,
                // WebSocket) or an async request keeps it. Idle: not locked, and no processor.
                Object processor = socket.getCurrentProcessor();
                if (processor instanceof Processor && ((Processor) processor).isUpgrade()) {
                    // HTTP/2: a GOAWAY (Tomcat's two steps: the maximum stream id first, the last one processed
                    // once a ping round trip has passed), so that the client opens new streams elsewhere; a no-op
                    // for a WebSocket.
                    ((Processor) processor).pause();
                    continue;
                }
                Lock lock = lock(socket);
                if (!lock.tryLock()) {
                    continue;
                }
                try {
                    if (socket.getCurrentProcessor() == null && !socket.isClosed()) {
                        socket.close();
                        closed++;
                    }
                } finally {
                    lock.unlock();
                }
            }
        }
        return closed;
    }

    private static Lock lock(SocketWrapperBase<?> socket) {
        try {
            return (Lock) GET_LOCK.invoke(socket);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Tomcat's SocketWrapperBase.getLock() failed", e);
        }
    }

    private static AbstractEndpoint<?, ?> endpoint(AbstractProtocol<?> protocol) {
        try {
            return (AbstractEndpoint<?, ?>) GET_ENDPOINT.invoke(protocol);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Tomcat's AbstractProtocol.getEndpoint() failed", e);
        }
    }
}
