package dev.lifecycle.servlet;

import java.net.InetSocketAddress;
import java.util.Set;
import java.util.function.Consumer;

import io.undertow.Undertow;
import io.undertow.servlet.Servlets;
import io.undertow.servlet.api.DeploymentInfo;
import io.undertow.servlet.api.DeploymentManager;
import io.undertow.servlet.api.ServletContainerInitializerInfo;
import io.undertow.servlet.util.ImmediateInstanceFactory;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.websockets.jsr.WebSocketDeploymentInfo;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.servlet.undertow.UndertowLifecycle;
import jakarta.servlet.ServletContainerInitializer;
import jakarta.servlet.ServletContext;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerContainer;
import jakarta.websocket.server.ServerEndpointConfig;

/** Undertow servlet, embedded. */
final class UndertowContainer implements ServletContainer {

    @Override
    public Running start(Consumer<ServletContext> setup, Lifecycle lifecycle) throws Exception {
        ServletContainerInitializer initializer = (classes, context) -> setup.accept(context);
        DeploymentInfo deployment = Servlets.deployment()
                .setClassLoader(UndertowContainer.class.getClassLoader())
                .setContextPath("/")
                .setDeploymentName("lifecycle-test")
                .addServletContainerInitializer(new ServletContainerInitializerInfo(
                        ServletContainerInitializer.class, new ImmediateInstanceFactory<>(initializer), Set.of()))
                // jakarta.websocket (undertow-websockets-jsr); the default XNIO worker
                .addServletContextAttribute(WebSocketDeploymentInfo.ATTRIBUTE_NAME,
                                            new WebSocketDeploymentInfo()
                                                    .setBuffers(new DefaultByteBufferPool(false, 8192)));
        DeploymentManager manager = Servlets.newContainer().addDeployment(deployment);
        manager.deploy();
        Undertow server = Undertow.builder()
                .addHttpListener(0, "127.0.0.1")
                .setIoThreads(1)
                .setWorkerThreads(8)
                .setHandler(lifecycle == null ? manager.start()
                                              : UndertowLifecycle.handler(lifecycle, manager.start()))
                .build();
        server.start();
        int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
        return new Running() {
            @Override
            public int port() {
                return port;
            }

            @Override
            public void stop() throws Exception {
                server.stop();
                manager.stop();
                manager.undeploy();
            }
        };
    }

    @Override
    public boolean keepsHeadersOnUncaughtException() {
        return false;
    }

    @Override
    public int hugeHeaderStatus() {
        return 200;
    }

    @Override
    public boolean addWebSocketEcho(ServletContext context, String path) {
        ServerContainer webSockets = (ServerContainer) context.getAttribute(ServerContainer.class.getName());
        try {
            webSockets.addEndpoint(ServerEndpointConfig.Builder.create(TomcatContainer.EchoEndpoint.class, path)
                                                               .build());
        } catch (DeploymentException e) {
            throw new IllegalStateException(e);
        }
        return true;
    }

    @Override
    public String toString() {
        return "Undertow";
    }
}
