package dev.lifecycle.servlet;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.http2.Http2Protocol;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.servlet.tomcat.TomcatLifecycle;
import jakarta.servlet.ServletContext;

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
    public boolean speaksH2c() {
        return true;
    }

    @Override
    public String toString() {
        return "Tomcat";
    }
}
