package dev.lifecycle.testing;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One HTTP/1.1 connection to 127.0.0.1 over a plain socket, so that a test sees exactly what the server sends
 * ({@code Connection} header included) and when it closes the connection: no retries, no pooling, no hidden
 * reconnects. Requests can be sent ahead of reading their responses (pipelining). Connecting is bounded by 5 seconds
 * and every read by a 10 second socket timeout.
 *
 * <pre>{@code
 * try (RawHttpConnection connection = new RawHttpConnection(port)) {
 *     RawHttpConnection.Response response = connection.get("/health/ready");
 *     assertThat(response.status()).isEqualTo(503);
 *     assertThat(connection.isClosedByServer()).isTrue();
 * }
 * }</pre>
 */
public final class RawHttpConnection implements AutoCloseable {

    /**
     * A response: status, headers (names case-insensitive; repeated headers joined with {@code ", "}) and the body
     * decoded as UTF-8 ({@code ""} when not read or empty).
     */
    public record Response(int status, Map<String, String> headers, String body) {

        /** The header's value, the name case-insensitive, or {@code null}. */
        public String header(String name) {
            return headers.get(name);
        }

        /** Whether the response carries {@code Connection: close}. */
        public boolean closesConnection() {
            String connection = headers.get("Connection");
            return connection != null && connection.equalsIgnoreCase("close");
        }
    }

    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final int READ_TIMEOUT_MILLIS = 10_000;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    /** Connects to {@code 127.0.0.1:port}. */
    public RawHttpConnection(int port) throws IOException {
        this(port, 0);
    }

    /**
     * Connects to {@code 127.0.0.1:port} with a receive buffer of {@code receiveBufferSize} bytes (0 for the system's
     * default): a slow client, whose unread data the kernel does not absorb.
     */
    public RawHttpConnection(int port, int receiveBufferSize) throws IOException {
        socket = new Socket();
        try {
            if (receiveBufferSize > 0) {
                socket.setReceiveBufferSize(receiveBufferSize);
            }
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), CONNECT_TIMEOUT_MILLIS);
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Sends {@code text} as is, in one write: a request the other methods cannot write, or several at once. */
    public RawHttpConnection send(String text) throws IOException {
        out.write(text.getBytes(UTF_8));
        out.flush();
        return this;
    }

    /**
     * Sends a keep-alive request without a body ({@code Content-Length: 0} for POST and PUT), without waiting for its
     * response.
     */
    public RawHttpConnection request(String method, String target) throws IOException {
        return send(method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + ("POST".equals(method) || "PUT".equals(method) ? "Content-Length: 0\r\n" : "") + "\r\n");
    }

    /** Sends a request without a body and reads its response (without a body when the method is HEAD). */
    public Response exchange(String method, String target) throws IOException {
        request(method, target);
        return "HEAD".equals(method) ? readHead() : read();
    }

    /** Sends a POST with a small {@code text/plain} body, without waiting for its response. */
    public RawHttpConnection sendPost(String target, String body) throws IOException {
        byte[] bytes = body.getBytes(UTF_8);
        return send("POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: "
                    + bytes.length + "\r\n\r\n" + body);
    }

    /** Sends {@code GET target} and reads its response. */
    public Response get(String target) throws IOException {
        return exchange("GET", target);
    }

    /**
     * Reads the next response and its body: by {@code Content-Length}, chunked, none for 204 and 304, else up to the
     * end of the stream. For the answer to a HEAD request, use {@link #readHead()}.
     *
     * @throws EOFException if the server closes the connection before a whole response
     */
    public Response read() throws IOException {
        return readBody(readHead(), false);
    }

    /**
     * Reads the body of the response whose head {@link #readHead()} returned: none when {@code headRequest} (the
     * response answers a HEAD request), else as {@link #read()} does.
     *
     * @throws EOFException if the server closes the connection before the whole body
     */
    public Response readBody(Response head, boolean headRequest) throws IOException {
        int status = head.status();
        String length = head.header("Content-Length");
        byte[] body;
        if (headRequest || status == 204 || status == 304 || status / 100 == 1) {
            body = new byte[0];
        } else if ("chunked".equalsIgnoreCase(head.header("Transfer-Encoding"))) {
            ByteArrayOutputStream chunks = new ByteArrayOutputStream();
            for (byte[] chunk; (chunk = readChunkBytes()).length > 0; ) {
                chunks.write(chunk);
            }
            body = chunks.toByteArray();
        } else if (length != null) {
            int n = Integer.parseInt(length.trim());
            body = in.readNBytes(n);
            if (body.length < n) {
                throw new EOFException("connection closed after " + body.length + " of " + n + " body bytes");
            }
        } else {
            body = in.readAllBytes();
        }
        return new Response(status, head.headers(), new String(body, UTF_8));
    }

    /**
     * Reads a response's status line and headers only, leaving any body unread: for a HEAD request, or before reading
     * a chunked body with {@link #readChunk()}.
     *
     * @throws EOFException if the server closes the connection before a whole head
     */
    public Response readHead() throws IOException {
        String statusLine = readLine();
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("not an HTTP status line: '" + statusLine + "'");
        }
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (String line; !(line = readLine()).isEmpty(); ) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                throw new IOException("not a header line: '" + line + "'");
            }
            headers.merge(line.substring(0, colon).trim(), line.substring(colon + 1).trim(), (a, b) -> a + ", " + b);
        }
        return new Response(status, Collections.unmodifiableMap(headers), "");
    }

    /** Reads one chunk of a chunked body, decoded as UTF-8; the last (empty) chunk returns {@code ""}. */
    public String readChunk() throws IOException {
        return new String(readChunkBytes(), UTF_8);
    }

    private byte[] readChunkBytes() throws IOException {
        String sizeLine = readLine();
        int semicolon = sizeLine.indexOf(';');
        int size = Integer.parseInt((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
        if (size == 0) {
            while (!readLine().isEmpty()) {
                // trailers are ignored; the blank line ends the body
            }
            return new byte[0];
        }
        byte[] chunk = in.readNBytes(size);
        if (chunk.length < size) {
            throw new EOFException("connection closed after " + chunk.length + " of a " + size + "-byte chunk");
        }
        readLine();
        return chunk;
    }

    /**
     * Whether the server has closed the connection: waits, at most the socket timeout, for the end of the stream (or
     * a reset).
     *
     * @return {@code false} if the connection is still open after the socket timeout
     * @throws IOException if the server sends more bytes instead
     */
    public boolean isClosedByServer() throws IOException {
        try {
            int next = in.read();
            if (next != -1) {
                throw new IOException("unexpected data instead of the end of the stream: '" + (char) next + "'");
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // reset by the server
        }
    }

    /**
     * Whether the server has already closed the connection, as a pooled client checks before reusing it: a read
     * waiting at most 1 ms. The end of the stream, a reset or unexpected data count as closed, a timeout as open.
     */
    public boolean isClosedBeforeUse() throws IOException {
        int timeout = socket.getSoTimeout();
        socket.setSoTimeout(1);
        try {
            in.read(); // -1 (end of stream) or unexpected data: either way the connection is unusable
            return true;
        } catch (SocketTimeoutException open) {
            return false;
        } catch (SocketException reset) {
            return true;
        } finally {
            socket.setSoTimeout(timeout);
        }
    }

    /**
     * Reads one line, without its {@code \n} or {@code \r\n}: for a protocol the connection was upgraded to.
     *
     * @throws EOFException if the server closes the connection before the end of the line
     */
    public String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b == -1) {
                throw new EOFException("connection closed by the server; read so far: '" + line.toString(ISO_8859_1)
                                       + "'");
            }
            line.write(b);
        }
        String text = line.toString(ISO_8859_1);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }

    /** Closes the socket. */
    @Override
    public void close() throws IOException {
        socket.close();
    }
}
