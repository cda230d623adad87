package dev.lifecycle.servlet;

import java.util.function.Consumer;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.websocket.server.JettyWebSocketServlet;
import org.eclipse.jetty.ee10.websocket.server.JettyWebSocketServletFactory;
import org.eclipse.jetty.ee10.websocket.server.config.JettyWebSocketServletContainerInitializer;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.servlet.jetty.JettyLifecycle;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletRegistration;

/** Jetty 12, ee10 servlet environment, embedded. */
final class JettyContainer implements ServletContainer {

    @Override
    public Running start(Consumer<ServletContext> setup, Lifecycle lifecycle) throws Exception {
        QueuedThreadPool threads = new QueuedThreadPool(16, 4);
        threads.setName("jetty-test");
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        // HTTP/1.1, and h2c through the HTTP/1.1 upgrade
        ServerConnector connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http),
                                                        new HTTP2CServerConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        JettyWebSocketServletContainerInitializer.configure(context, null); // Jetty's own WebSocket API
        context.addServletContainerInitializer((classes, servletContext) -> setup.accept(servletContext));
        server.setHandler(context);
        if (lifecycle != null) {
            JettyLifecycle.install(server, lifecycle);
        }
        server.start();
        int port = connector.getLocalPort();
        return new Running() {
            @Override
            public int port() {
                return port;
            }

            @Override
            public void stop() throws Exception {
                server.stop();
            }
        };
    }

    @Override
    public boolean keepsHeadersOnUncaughtException() {
        return true;
    }

    @Override
    public int hugeHeaderStatus() {
        return 431;
    }

    @Override
    public boolean speaksH2c() {
        return true;
    }

    @Override
    public boolean addWebSocketEcho(ServletContext context, String path) {
        ServletRegistration.Dynamic servlet = context.addServlet("websocket-echo", new EchoServlet());
        servlet.addMapping(path);
        return true;
    }

    /** Jetty's WebSocket servlet with an endpoint that echoes each text message. */
    static final class EchoServlet extends JettyWebSocketServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void configure(JettyWebSocketServletFactory factory) {
            factory.setCreator((request, response) -> new EchoListener());
        }
    }

    /** Echoes each text message. Public: Jetty calls its methods through method handles. */
    public static final class EchoListener implements Session.Listener.AutoDemanding {
        private volatile Session session;

        @Override
        public void onWebSocketOpen(Session opened) {
            session = opened;
        }

        @Override
        public void onWebSocketText(String text) {
            session.sendText(text, Callback.NOOP);
        }
    }

    @Override
    public boolean switchesProtocolOnUpgrade() {
        return false;
    }

    @Override
    public String toString() {
        return "Jetty";
    }
}
