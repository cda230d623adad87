package dev.lifecycle.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Loopback ports for servers that cannot bind port 0 themselves and report the port back. */
public final class Ports {

    private Ports() {
    }

    /**
     * Returns a TCP port that was free on 127.0.0.1 a moment ago. Another process may take it before the caller
     * binds it, so prefer port 0 wherever the server can report the port it bound.
     *
     * @throws UncheckedIOException if no port can be bound
     */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot find a free port on 127.0.0.1", e);
        }
    }
}
