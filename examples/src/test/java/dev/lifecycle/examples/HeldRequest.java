package dev.lifecycle.examples;

import java.io.IOException;

import dev.lifecycle.testing.RawHttpConnection;

/**
 * A request the test holds in flight for as long as it needs: {@code POST /users} whose last body byte is sent only by
 * {@link #finish()}. The server admits (counts) the request when its head arrives and answers once the body is
 * complete, so "still in flight" is decided by the test, not by how long a slow request takes on this machine.
 */
final class HeldRequest implements AutoCloseable {

    private final RawHttpConnection connection;
    private final String lastByte;

    private HeldRequest(RawHttpConnection connection, String lastByte) {
        this.connection = connection;
        this.lastByte = lastByte;
    }

    /** Sends the head and all but the last byte of {@code POST /users} creating a user named {@code name}. */
    static HeldRequest postUser(int port, String name) throws IOException {
        String body = "{\"name\": \"" + name + "\"}";
        RawHttpConnection connection = new RawHttpConnection(port);
        try {
            connection.send("POST /users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + body.length() + "\r\n\r\n" + body.substring(0, body.length() - 1));
        } catch (IOException e) {
            connection.close();
            throw e;
        }
        return new HeldRequest(connection, body.substring(body.length() - 1));
    }

    /** Sends the last byte and reads the response. */
    RawHttpConnection.Response finish() throws IOException {
        return connection.send(lastByte).read();
    }

    @Override
    public void close() throws IOException {
        connection.close();
    }
}
