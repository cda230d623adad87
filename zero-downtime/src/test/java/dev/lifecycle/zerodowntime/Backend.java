package dev.lifecycle.zerodowntime;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.util.HttpString;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A real Undertow server on an ephemeral loopback port standing for a replica: {@code /ready} answers 200 or 503 as
 * {@link #ready} says, every other path goes to the given handler, and every response names the replica in
 * {@code X-Instance}.
 */
final class Backend implements AutoCloseable {

    final String name;
    final AtomicBoolean ready = new AtomicBoolean(true);
    private final Undertow server;

    private Backend(String name, HttpHandler app, int idleTimeoutMillis) {
        this.name = name;
        HttpHandler root = exchange -> {
            exchange.getResponseHeaders().put(new HttpString("X-Instance"), name);
            if (exchange.getRequestPath().equals("/ready")) {
                exchange.setStatusCode(ready.get() ? 200 : 503);
                exchange.getResponseSender().send(ready.get() ? "ready" : "not ready");
            } else {
                app.handleRequest(exchange);
            }
        };
        Undertow.Builder builder = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1)
                .setWorkerThreads(8).setHandler(root);
        if (idleTimeoutMillis > 0) {
            builder.setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, idleTimeoutMillis);
        }
        server = builder.build();
        server.start();
    }

    /** A replica answering 200 "hello" everywhere. */
    static Backend hello(String name) {
        return new Backend(name, exchange -> exchange.getResponseSender().send("hello"), 0);
    }

    static Backend of(String name, HttpHandler app) {
        return new Backend(name, app, 0);
    }

    /** A replica that closes connections idle for longer than {@code idleTimeoutMillis}. */
    static Backend closingIdleConnections(String name, int idleTimeoutMillis) {
        return new Backend(name, exchange -> exchange.getResponseSender().send("hello"), idleTimeoutMillis);
    }

    int port() {
        return ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port());
    }

    @Override
    public void close() {
        server.stop();
    }
}
