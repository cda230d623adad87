package dev.lifecycle.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.servlet.LifecycleServlets;
import dev.lifecycle.servlet.tomcat.TomcatLifecycle;

/**
 * The "hello" servlet on embedded Tomcat ({@code tomcat-embed-core}), default NIO HTTP/1.1 connector: bare, or with
 * the lifecycle wired as a user would ({@link LifecycleServlets#register} and {@link TomcatLifecycle#install}).
 */
final class TomcatServer {

    private TomcatServer() {
    }

    static void start(int port, Lifecycle lifecycle) throws Exception {
        Path baseDir = Files.createTempDirectory("tomcat-e2e");
        baseDir.toFile().deleteOnExit();
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(baseDir.toString());
        Connector connector = new Connector("HTTP/1.1");
        connector.setPort(port);
        connector.setProperty("address", "127.0.0.1");
        tomcat.setConnector(connector);
        Context context = tomcat.addContext("", baseDir.toString());
        context.addServletContainerInitializer((classes, servletContext) -> {
            servletContext.addServlet("hello", new EndToEndServer.HelloServlet()).addMapping("/*");
            if (lifecycle != null) {
                LifecycleServlets.register(servletContext, lifecycle);
            }
        }, null);
        if (lifecycle != null) {
            TomcatLifecycle.install(tomcat.getService(), lifecycle);
        }
        tomcat.start();
    }
}
