package dev.lifecycle.servlet;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.connector.ResponseFacade;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.http2.Http2Protocol;
import org.apache.tomcat.websocket.server.WsSci;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.servlet.tomcat.TomcatLifecycle;
import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerContainer;
import jakarta.websocket.server.ServerEndpointConfig;

/** Tomcat, embedded ({@code tomcat-embed-core}). */
final class TomcatContainer implements ServletContainer {

    @Override
    public Running start(Consumer<ServletContext> setup, Lifecycle lifecycle) throws Exception {
        Path baseDir = Files.createTempDirectory("tomcat-test");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(baseDir.toString());
        Connector connector = new Connector("HTTP/1.1");
        connector.setPort(0);
        connector.setProperty("address", "127.0.0.1");
        connector.setProperty("maxThreads", "16");
        connector.addUpgradeProtocol(new Http2Protocol()); // h2c, through the HTTP/1.1 upgrade
        tomcat.setConnector(connector);
        // As Spring Boot configures it: error pages without stack traces (embedded Tomcat's default shows them).
        ErrorReportValve errorReport = new ErrorReportValve();
        errorReport.setShowReport(false);
        errorReport.setShowServerInfo(false);
        tomcat.getHost().getPipeline().addValve(errorReport);
        Context context = tomcat.addContext("", baseDir.toString());
        context.addServletContainerInitializer(new WsSci(), null); // jakarta.websocket, before the set-up uses it
        context.addServletContainerInitializer((classes, servletContext) -> setup.accept(servletContext), null);
        if (lifecycle != null) {
            TomcatLifecycle.install(tomcat.getService(), lifecycle);
        }
        tomcat.start();
        int port = connector.getLocalPort();
        return new Running() {
            @Override
            public int port() {
                return port;
            }

            @Override
            public void stop() throws Exception {
                tomcat.stop();
                tomcat.destroy();
            }
        };
    }

    @Override
    public boolean keepsHeadersOnUncaughtException() {
        return true;
    }

    @Override
    public int hugeHeaderStatus() {
        return 400;
    }

    @Override
    public boolean redirects() {
        try {
            ResponseFacade.class.getDeclaredMethod("sendRedirect", String.class);
            return true; // Tomcat 10.1
        } catch (NoSuchMethodException inheritedFromServlet61) {
            return false;
        }
    }

    @Override
    public boolean speaksH2c() {
        return true;
    }

    @Override
    public boolean addWebSocketEcho(ServletContext context, String path) {
        // Tomcat answers 404 before any filter, its WebSocket one included, where no servlet is mapped.
        context.addServlet("websocket-path", new HttpServlet() {
            private static final long serialVersionUID = 1L;
        }).addMapping(path);
        ServerContainer webSockets = (ServerContainer) context.getAttribute(ServerContainer.class.getName());
        try {
            webSockets.addEndpoint(ServerEndpointConfig.Builder.create(EchoEndpoint.class, path).build());
        } catch (DeploymentException e) {
            throw new IllegalStateException(e);
        }
        return true;
    }

    /** Echoes each text message (jakarta.websocket). */
    public static final class EchoEndpoint extends Endpoint {
        @Override
        public void onOpen(Session session, EndpointConfig config) {
            session.addMessageHandler(String.class, text -> session.getAsyncRemote().sendText(text));
        }
    }

    @Override
    public String toString() {
        return "Tomcat";
    }
}
