package dev.lifecycle.netty;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 client on a raw socket, so that tests see exactly what the server sends and when it closes: no
 * retries, no pooling, no hidden reconnects. Every read is bounded by a 10 second socket timeout.
 */
final class RawClient implements AutoCloseable {

    /** A response head, and its body when read. */
    record Response(int status, Map<String, String> headers, String body) {

        /** The header's value (names are case-insensitive), or {@code null}. */
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawClient(int port) throws IOException {
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Sends {@code text} as is, in one write. */
    RawClient send(String text) throws IOException {
        out.write(text.getBytes(UTF_8));
        out.flush();
        return this;
    }

    /** Sends a keep-alive request with no body. */
    RawClient request(String method, String target) throws IOException {
        return send(method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
    }

    /** Sends {@code GET target} and reads its response. */
    Response get(String target) throws IOException {
        return request("GET", target).read();
    }

    /** Reads a response and its body (by {@code Content-Length} or chunked). */
    Response read() throws IOException {
        Response head = readHead();
        if ("chunked".equalsIgnoreCase(head.header("transfer-encoding"))) {
            StringBuilder body = new StringBuilder();
            for (String chunk; !(chunk = readChunk()).isEmpty(); ) {
                body.append(chunk);
            }
            return new Response(head.status(), head.headers(), body.toString());
        }
        String length = head.header("content-length");
        int n = length == null ? 0 : Integer.parseInt(length);
        return new Response(head.status(), head.headers(), new String(in.readNBytes(n), UTF_8));
    }

    /** Reads a response's status line and headers only: for a HEAD request, or before reading chunks. */
    Response readHead() throws IOException {
        String statusLine = readLine();
        int status = Integer.parseInt(statusLine.split(" ", 3)[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line; !(line = readLine()).isEmpty(); ) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        return new Response(status, headers, null);
    }

    /** Reads one chunk of a chunked body; the last (empty) chunk returns {@code ""}. */
    String readChunk() throws IOException {
        int size = Integer.parseInt(readLine().trim(), 16);
        if (size == 0) {
            readLine(); // no trailers: the blank line that ends the body
            return "";
        }
        String chunk = new String(in.readNBytes(size), UTF_8);
        readLine();
        return chunk;
    }

    /**
     * Whether the server has closed the connection: reads, up to the socket timeout, and expects end of stream
     * (or a reset) with no further bytes.
     */
    boolean closedByServer() throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketException e) {
            return true; // reset by the server
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b == -1) {
                throw new EOFException("connection closed by the server; read so far: " + line.toString(ISO_8859_1));
            }
            line.write(b);
        }
        String text = line.toString(ISO_8859_1);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
