package dev.lifecycle.servlet;

import java.util.function.Consumer;

import dev.lifecycle.core.Lifecycle;
import jakarta.servlet.ServletContext;

/** A servlet container the contract suite runs on: one web application on an ephemeral loopback port. */
interface ServletContainer {

    /**
     * Starts a server on {@code 127.0.0.1}, port 0, with one web application at the root context, set up by
     * {@code setup} as a {@code ServletContainerInitializer} would.
     */
    default Running start(Consumer<ServletContext> setup) throws Exception {
        return start(setup, null);
    }

    /**
     * Starts a server as {@link #start(Consumer)} does and, if {@code lifecycle} is not {@code null}, installs the
     * container's integration ({@code JettyLifecycle}, {@code TomcatLifecycle}, {@code UndertowLifecycle}).
     */
    Running start(Consumer<ServletContext> setup, Lifecycle lifecycle) throws Exception;

    /**
     * Whether a {@code Connection: close} set before the application threw survives in the container's 500 response.
     * Undertow clears every header of a response it turns into a 500 for an uncaught exception.
     */
    boolean keepsHeadersOnUncaughtException();

    /**
     * The status of a request with a 64 KiB header: {@code 200} where the container's default limit admits it
     * (Undertow's is 1 MiB), or its {@code 431 Request Header Fields Too Large}.
     */
    int hugeHeaderStatus();

    /**
     * Whether {@code HttpServletResponse.sendRedirect(String)} works on this test class path. Tomcat 11's response
     * inherits it from Servlet 6.1's interface, where it is a default method; the {@code jakarta.servlet-api} 6.0 jar
     * ahead of Tomcat's own classes declares it abstract: an {@code AbstractMethodError}, with or without the filter.
     */
    default boolean redirects() {
        return true;
    }

    /** Whether the container, as started here, accepts HTTP/2 over cleartext (h2c) through the HTTP/1.1 upgrade. */
    default boolean speaksH2c() {
        return false;
    }

    /**
     * Whether the container switches a connection to the application's protocol after
     * {@code HttpServletRequest.upgrade()}. Jetty 12.1 (ee10) answers {@code 101} but goes on parsing HTTP/1.1 on the
     * connection: the first bytes of the new protocol get a {@code 400}, with or without the lifecycle's filter.
     */
    default boolean switchesProtocolOnUpgrade() {
        return true;
    }

    /**
     * Registers, from {@code setup}, the container's own WebSocket echo endpoint on {@code path}; a container whose
     * WebSocket is not set up here returns {@code false}.
     */
    default boolean addWebSocketEcho(ServletContext context, String path) {
        return false;
    }

    /** A started server. */
    interface Running {

        /** The port the server listens on. */
        int port();

        /** Stops the server. */
        void stop() throws Exception;
    }
}
