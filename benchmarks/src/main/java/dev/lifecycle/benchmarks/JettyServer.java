package dev.lifecycle.benchmarks;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.servlet.LifecycleServlets;
import dev.lifecycle.servlet.jetty.JettyLifecycle;

/**
 * The "hello" servlet on embedded Jetty 12 (ee10), default thread pool and HTTP/1.1 connector: bare, or with the
 * lifecycle wired as a user would ({@link LifecycleServlets#register} and {@link JettyLifecycle#install}).
 */
final class JettyServer {

    private JettyServer() {
    }

    static void start(int port, Lifecycle lifecycle) throws Exception {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        context.addServletContainerInitializer((classes, servletContext) -> {
            servletContext.addServlet("hello", new EndToEndServer.HelloServlet()).addMapping("/*");
            if (lifecycle != null) {
                LifecycleServlets.register(servletContext, lifecycle);
            }
        });
        server.setHandler(context);
        if (lifecycle != null) {
            JettyLifecycle.install(server, lifecycle);
        }
        server.start();
    }
}
