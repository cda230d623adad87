package dev.lifecycle.zerodowntime;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One keep-alive HTTP/1.1 connection on a raw socket, with no retry of any kind.
 *
 * <p>The channel is blocking while a request is written and its response read (with {@code SO_TIMEOUT} as the read
 * timeout, honoured by the socket adaptor's stream), and is switched to non-blocking only for {@link #idleState()}:
 * a read that returns {@code -1} at once means the peer closed the idle connection before we wrote anything. That is
 * the one case the generator treats as a reconnect rather than a failure.
 */
final class ClientConnection implements Closeable {

    /** What a non-blocking read on an idle connection found. */
    enum IdleState { OPEN, PEER_CLOSED, PEER_RESET, UNSOLICITED_DATA }

    /** A complete response. {@code body} holds at most {@link #MAX_KEPT_BODY} bytes, for ids in POST answers. */
    record Response(int status, String instance, boolean keepAlive, String location, String body) {}

    /** A failed exchange, already classified. */
    static final class ExchangeException extends IOException {
        private static final long serialVersionUID = 1L;
        private final Outcome outcome;

        ExchangeException(Outcome outcome, String message, Throwable cause) {
            super(message, cause);
            this.outcome = outcome;
        }

        Outcome outcome() {
            return outcome;
        }
    }

    private static final int MAX_LINE = 8192;
    private static final int MAX_KEPT_BODY = 8192;

    private final int id;
    private final SocketChannel channel;
    private final InputStream in;
    private final String instanceHeader;
    private final byte[] buffer = new byte[16 * 1024];
    private int position;
    private int limit;
    private long bytesRead;
    private int exchanges;

    private ClientConnection(int id, SocketChannel channel, String instanceHeader) throws IOException {
        this.id = id;
        this.channel = channel;
        this.in = channel.socket().getInputStream();
        this.instanceHeader = instanceHeader.toLowerCase(Locale.ROOT);
    }

    /**
     * Connects; a refused connection is {@link Outcome#CONNECT_REFUSED}, any other failure
     * {@link Outcome#CONNECT_FAILED}.
     */
    static ClientConnection open(int id, InetSocketAddress address, int connectTimeoutMillis, int readTimeoutMillis,
                                 String instanceHeader) throws ExchangeException {
        SocketChannel channel = null;
        try {
            channel = SocketChannel.open();
            channel.socket().setTcpNoDelay(true);
            channel.socket().setSoTimeout(readTimeoutMillis);
            channel.socket().connect(address, connectTimeoutMillis);
            return new ClientConnection(id, channel, instanceHeader);
        } catch (IOException e) {
            closeQuietly(channel);
            Outcome outcome = e instanceof ConnectException && String.valueOf(e.getMessage()).contains("refused")
                    ? Outcome.CONNECT_REFUSED : Outcome.CONNECT_FAILED;
            throw new ExchangeException(outcome, String.valueOf(e.getMessage()), e);
        }
    }

    int id() {
        return id;
    }

    /** Responses read on this connection. */
    int exchanges() {
        return exchanges;
    }

    /** Whether at least one response was read on this connection: only such a connection can be idle. */
    boolean isReused() {
        return exchanges > 0;
    }

    /**
     * Looks at an idle connection without blocking, just before a request would be written on it. Bytes left over
     * from the previous response, or any byte now, are unsolicited data (a server may send a 408 before closing).
     */
    IdleState idleState() {
        if (position < limit) {
            return IdleState.UNSOLICITED_DATA;
        }
        try {
            channel.configureBlocking(false);
            try {
                int n = channel.read(ByteBuffer.allocate(1));
                return n < 0 ? IdleState.PEER_CLOSED : n > 0 ? IdleState.UNSOLICITED_DATA : IdleState.OPEN;
            } finally {
                channel.configureBlocking(true);
            }
        } catch (IOException e) {
            return IdleState.PEER_RESET;
        }
    }

    /** Writes the whole request. Any failure is {@link Outcome#WRITE_FAILED}: we cannot know what the peer saw. */
    void write(byte[] request) throws ExchangeException {
        try {
            ByteBuffer bytes = ByteBuffer.wrap(request);
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (IOException e) {
            throw new ExchangeException(Outcome.WRITE_FAILED, String.valueOf(e.getMessage()), e);
        }
    }

    /**
     * Reads one complete response (Content-Length, chunked, or until end of stream when neither is given), skipping
     * interim 1xx responses.
     */
    Response read() throws ExchangeException {
        long start = bytesRead - (limit - position);
        try {
            while (true) {
                Response response = readOne();
                if (response.status() >= 200 || response.status() == 101) {
                    exchanges++;
                    return response;
                }
            }
        } catch (ExchangeException e) {
            throw e;
        } catch (EndOfStream e) {
            boolean nothing = bytesRead - (limit - position) == start;
            throw new ExchangeException(nothing ? Outcome.EOF_NO_RESPONSE : Outcome.EOF_PARTIAL_RESPONSE,
                    nothing ? "end of stream before any response byte" : "end of stream inside the response", null);
        } catch (SocketTimeoutException e) {
            throw new ExchangeException(Outcome.READ_TIMEOUT, String.valueOf(e.getMessage()), e);
        } catch (IOException e) {
            throw new ExchangeException(Outcome.RESET, String.valueOf(e.getMessage()), e);
        }
    }

    private Response readOne() throws IOException {
        String statusLine = readLine();
        if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12 || statusLine.charAt(8) != ' ') {
            throw protocol("bad status line");
        }
        boolean http10 = statusLine.charAt(7) == '0';
        int status;
        try {
            status = Integer.parseInt(statusLine.substring(9, 12));
        } catch (NumberFormatException e) {
            throw protocol("bad status code");
        }
        long contentLength = -1;
        boolean chunked = false;
        boolean close = http10;
        String instance = null;
        String location = null;
        for (String line = readLine(); !line.isEmpty(); line = readLine()) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw protocol("bad header line");
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> {
                    try {
                        contentLength = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        throw protocol("bad content-length");
                    }
                }
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).endsWith("chunked");
                case "connection" -> {
                    for (String token : value.toLowerCase(Locale.ROOT).split(",")) {
                        if (token.trim().equals("close")) {
                            close = true;
                        } else if (token.trim().equals("keep-alive")) {
                            close = close && !http10;
                        }
                    }
                }
                case "location" -> location = value;
                default -> {
                    if (name.equals(instanceHeader)) {
                        instance = value;
                    }
                }
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (status < 200 || status == 204 || status == 304) {
            // no body
        } else if (chunked) {
            while (true) {
                String sizeLine = readLine();
                int semicolon = sizeLine.indexOf(';');
                long size;
                try {
                    size = Long.parseLong((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
                } catch (NumberFormatException e) {
                    throw protocol("bad chunk size");
                }
                if (size == 0) {
                    while (!readLine().isEmpty()) {
                        // trailers
                    }
                    break;
                }
                readBody(size, body);
                if (!readLine().isEmpty()) {
                    throw protocol("missing CRLF after chunk");
                }
            }
        } else if (contentLength >= 0) {
            readBody(contentLength, body);
        } else {
            // Delimited by the end of the stream: the end is the normal end here, and the connection is done.
            close = true;
            keep(body, buffer, position, limit - position);
            position = limit;
            while (fill()) {
                keep(body, buffer, position, limit - position);
                position = limit;
            }
        }
        return new Response(status, instance, !close, location, body.toString(StandardCharsets.UTF_8));
    }

    private void readBody(long length, ByteArrayOutputStream body) throws IOException {
        long remaining = length;
        while (remaining > 0) {
            if (position == limit && !fill()) {
                throw new EndOfStream();
            }
            int n = (int) Math.min(remaining, limit - position);
            keep(body, buffer, position, n);
            position += n;
            remaining -= n;
        }
    }

    private static void keep(ByteArrayOutputStream body, byte[] bytes, int offset, int length) {
        int room = MAX_KEPT_BODY - body.size();
        if (room > 0) {
            body.write(bytes, offset, Math.min(room, length));
        }
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            if (position == limit && !fill()) {
                throw new EndOfStream();
            }
            byte b = buffer[position++];
            if (b == '\n') {
                int end = line.length();
                if (end > 0 && line.charAt(end - 1) == '\r') {
                    line.setLength(end - 1);
                }
                return line.toString();
            }
            if (line.length() >= MAX_LINE) {
                throw protocol("line longer than " + MAX_LINE + " bytes");
            }
            line.append((char) (b & 0xff));
        }
    }

    /** Reads more bytes into an empty buffer; false at end of stream. */
    private boolean fill() throws IOException {
        position = 0;
        limit = 0;
        int n = in.read(buffer, 0, buffer.length);
        if (n < 0) {
            return false;
        }
        limit = n;
        bytesRead += n;
        return true;
    }

    private static ExchangeException protocol(String message) {
        return new ExchangeException(Outcome.PROTOCOL_ERROR, message, null);
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing left to do with a socket we are discarding
            }
        }
    }

    /** End of stream while a response was expected; classified by {@link #read()}. */
    private static final class EndOfStream extends IOException {
        private static final long serialVersionUID = 1L;

        EndOfStream() {
            super("end of stream");
        }
    }
}
