package dev.lifecycle.servlet;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * One HTTP/1.1 connection over a plain socket, so that tests see exactly what the server sends, {@code Connection}
 * header included, and whether it closes the connection. Requests can be sent ahead of reading their response.
 */
final class RawHttpConnection implements AutoCloseable {

    /** A parsed response. Header names are case-insensitive. */
    record Response(int status, Map<String, String> headers, String body) {

        String header(String name) {
            return headers.get(name);
        }

        boolean closesConnection() {
            String connection = headers.get("Connection");
            return connection != null && connection.equalsIgnoreCase("close");
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawHttpConnection(int port) throws IOException {
        this(port, 0);
    }

    /**
     * Opens a connection with a small receive buffer, {@code receiveBufferSize} bytes (0 for the system's default):
     * a slow client, whose unread data the kernel does not absorb.
     */
    RawHttpConnection(int port, int receiveBufferSize) throws IOException {
        socket = new Socket();
        if (receiveBufferSize > 0) {
            socket.setReceiveBufferSize(receiveBufferSize);
        }
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Sends a request without a body and without waiting for the response. */
    void send(String method, String target) throws IOException {
        String request = method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         + ("POST".equals(method) || "PUT".equals(method) ? "Content-Length: 0\r\n" : "") + "\r\n";
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Sends {@code text} as is: a request the other methods cannot write, such as one with a huge header. */
    void sendRaw(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Reads the status line and headers of the next response, leaving its body unread (its body is empty). */
    Response readHead() throws IOException {
        String statusLine = readLine();
        if (statusLine == null) {
            throw new IOException("connection closed before a response");
        }
        String[] parts = statusLine.split(" ", 3);
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (String line = readLine(); line != null && !line.isEmpty(); line = readLine()) {
            int colon = line.indexOf(':');
            headers.merge(line.substring(0, colon).trim(), line.substring(colon + 1).trim(), (a, b) -> a + ", " + b);
        }
        return new Response(status, headers, "");
    }

    /** Reads the next response, which has no body if it answers a {@code HEAD}. */
    Response read(boolean head) throws IOException {
        return readBody(readHead(), head);
    }

    /** Reads the body of the response whose head {@link #readHead()} returned. */
    Response readBody(Response response, boolean head) throws IOException {
        int status = response.status();
        Map<String, String> headers = response.headers();
        byte[] body;
        String length = headers.get("Content-Length");
        if (head || status == 204 || status == 304) {
            body = new byte[0];
        } else if ("chunked".equalsIgnoreCase(headers.get("Transfer-Encoding"))) {
            body = readChunked();
        } else if (length != null) {
            body = readExactly(Integer.parseInt(length));
        } else {
            body = in.readAllBytes();
        }
        return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    /** Sends a request and reads its response. */
    Response exchange(String method, String target) throws IOException {
        send(method, target);
        return read("HEAD".equals(method));
    }

    /**
     * Whether the server has closed the connection: waits, at most the socket timeout, for the end of the stream.
     *
     * @throws IOException if the server sends more data instead
     */
    boolean isClosedByServer() throws IOException {
        try {
            int next = in.read();
            if (next != -1) {
                throw new IOException("unexpected data after the response: " + (char) next);
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // reset by the server
        }
    }

    private byte[] readChunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine();
            if (sizeLine == null) {
                throw new IOException("connection closed in a chunked body after " + body.size() + " bytes");
            }
            int semicolon = sizeLine.indexOf(';');
            int size = Integer.parseInt((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
            if (size == 0) {
                for (String trailer = readLine(); trailer != null && !trailer.isEmpty(); trailer = readLine()) {
                    // trailers are ignored
                }
                return body.toByteArray();
            }
            body.write(readExactly(size));
            readLine();
        }
    }

    /**
     * Whether the server has already closed the connection, as a pooled client checks before reusing it: a read
     * waiting at most 1 ms. Any data or end of stream counts as closed, a timeout as open.
     */
    boolean isClosedBeforeUse() throws IOException {
        int timeout = socket.getSoTimeout();
        socket.setSoTimeout(1);
        try {
            return in.read() != -2; // -1 (end of stream) or unexpected data
        } catch (SocketTimeoutException open) {
            return false;
        } catch (SocketException reset) {
            return true;
        } finally {
            socket.setSoTimeout(timeout);
        }
    }

    /** Sends a POST with a small body, without waiting for the response. */
    void sendPost(String target, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        sendRaw("POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: "
                + bytes.length + "\r\n\r\n" + body);
    }

    private byte[] readExactly(int length) throws IOException {
        byte[] bytes = in.readNBytes(length);
        if (bytes.length < length) {
            throw new IOException("connection closed after " + bytes.length + " of " + length + " bytes");
        }
        return bytes;
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b == -1) {
                return line.length() == 0 ? null : line.toString();
            }
            if (b == '\n') {
                int end = line.length();
                if (end > 0 && line.charAt(end - 1) == '\r') {
                    line.setLength(end - 1);
                }
                return line.toString();
            }
            line.append((char) b);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
