package dev.lifecycle.servlet;

import java.util.function.Consumer;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.servlet.jetty.JettyLifecycle;
import jakarta.servlet.ServletContext;

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
    public boolean switchesProtocolOnUpgrade() {
        return false;
    }

    @Override
    public String toString() {
        return "Jetty";
    }
}
