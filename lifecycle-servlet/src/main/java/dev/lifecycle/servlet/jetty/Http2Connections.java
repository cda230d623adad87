package dev.lifecycle.servlet.jetty;

import org.eclipse.jetty.http2.HTTP2Connection;
import org.eclipse.jetty.io.Connection;

/** The HTTP/2 part of {@link JettyLifecycle}, in its own class: loaded only when Jetty's HTTP/2 is present. */
final class Http2Connections {

    private Http2Connections() {
    }

    /** Starts a graceful GOAWAY if {@code connection} is HTTP/2; returns whether it is. */
    static boolean goAway(Connection connection) {
        if (!(connection instanceof HTTP2Connection)) {
            return false;
        }
        ((HTTP2Connection) connection).getSession().shutdown();
        return true;
    }
}
