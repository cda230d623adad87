package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ClientConnectionTest {

    private static final byte[] GET = "GET /x HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private Backend backend;
    private ServerSocket scripted;

    @AfterEach
    void stop() throws IOException {
        if (backend != null) {
            backend.close();
        }
        if (scripted != null) {
            scripted.close();
        }
    }

    private static ClientConnection connect(InetSocketAddress address) throws IOException {
        return ClientConnection.open(1, address, 2000, 2000, "X-Instance");
    }

    @Test
    void readsAChunkedResponseAndKeepsTheConnectionForTheNext() throws Exception {
        HttpHandler chunked = new HttpHandler() {
            @Override
            public void handleRequest(HttpServerExchange exchange) throws Exception {
                if (exchange.isInIoThread()) {
                    exchange.dispatch(this);
                    return;
                }
                exchange.startBlocking();
                OutputStream out = exchange.getOutputStream();
                out.write("first,".getBytes(StandardCharsets.UTF_8));
                out.flush();
                out.write("second".getBytes(StandardCharsets.UTF_8));
                out.close();
            }
        };
        backend = Backend.of("a", chunked);
        try (ClientConnection connection = connect(backend.address())) {
            for (int i = 0; i < 2; i++) {
                connection.write(GET);
                ClientConnection.Response response = connection.read();

                assertThat(response.status()).isEqualTo(200);
                assertThat(response.body()).isEqualTo("first,second");
                assertThat(response.instance()).isEqualTo("a");
                assertThat(response.keepAlive()).isTrue();
            }
            assertThat(connection.isReused()).isTrue();
            assertThat(connection.idleState()).isEqualTo(ClientConnection.IdleState.OPEN);
        }
    }

    @Test
    void endOfStreamInsideTheBodyIsAPartialResponse() throws Exception {
        InetSocketAddress address = script("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b", true);
        try (ClientConnection connection = connect(address)) {
            connection.write(GET);

            assertThatThrownBy(connection::read).isInstanceOfSatisfying(ClientConnection.ExchangeException.class,
                    e -> assertThat(e.outcome()).isEqualTo(Outcome.EOF_PARTIAL_RESPONSE));
        }
    }

    @Test
    void endOfStreamBeforeAnyByteIsNoResponse() throws Exception {
        InetSocketAddress address = script("", true);
        try (ClientConnection connection = connect(address)) {
            connection.write(GET);

            assertThatThrownBy(connection::read).isInstanceOfSatisfying(ClientConnection.ExchangeException.class,
                    e -> assertThat(e.outcome()).isEqualTo(Outcome.EOF_NO_RESPONSE));
        }
    }

    @Test
    void garbageInsteadOfAStatusLineIsAProtocolError() throws Exception {
        InetSocketAddress address = script("SSH-2.0-OpenSSH\r\n\r\n", true);
        try (ClientConnection connection = connect(address)) {
            connection.write(GET);

            assertThatThrownBy(connection::read).isInstanceOfSatisfying(ClientConnection.ExchangeException.class,
                    e -> assertThat(e.outcome()).isEqualTo(Outcome.PROTOCOL_ERROR));
        }
    }

    @Test
    void http10ResponseWithoutLengthEndsWithTheStreamAndClosesTheConnection() throws Exception {
        InetSocketAddress address = script("HTTP/1.0 200 OK\r\nX-Instance: old\r\n\r\nuntil the end", true);
        try (ClientConnection connection = connect(address)) {
            connection.write(GET);
            ClientConnection.Response response = connection.read();

            assertThat(response.body()).isEqualTo("until the end");
            assertThat(response.instance()).isEqualTo("old");
            assertThat(response.keepAlive()).isFalse();
        }
    }

    @Test
    void idleConnectionClosedByThePeerIsSeenBeforeWriting() throws Exception {
        InetSocketAddress address = script("HTTP/1.1 204 No Content\r\n\r\n", true);
        try (ClientConnection connection = connect(address)) {
            connection.write(GET);
            assertThat(connection.read().status()).isEqualTo(204);

            await().atMost(Duration.ofSeconds(5))
                    .until(connection::idleState, state -> state == ClientConnection.IdleState.PEER_CLOSED);
        }
    }

    @Test
    void bytesAfterACompleteResponseAreUnsolicitedData() throws Exception {
        InetSocketAddress address = script("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 408 Timeout\r\n\r\n",
                false);
        try (ClientConnection connection = connect(address)) {
            connection.write(GET);
            assertThat(connection.read().body()).isEqualTo("ok");

            await().atMost(Duration.ofSeconds(5))
                    .until(connection::idleState, state -> state == ClientConnection.IdleState.UNSOLICITED_DATA);
        }
    }

    /** A peer that reads one request head, answers exactly {@code answer}, and closes or keeps the connection. */
    private InetSocketAddress script(String answer, boolean close) throws IOException {
        scripted = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ServerSocket server = scripted;
        CompletableFuture.runAsync(() -> {
            try (Socket socket = server.accept()) {
                socket.setSoTimeout(5000);
                InputStream in = socket.getInputStream();
                int matched = 0;
                while (matched < 4) {
                    int b = in.read();
                    if (b < 0) {
                        return;
                    }
                    matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
                }
                socket.getOutputStream().write(answer.getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush();
                if (!close) {
                    // keep the connection open until the test has looked at it
                    socket.getInputStream().read();
                }
            } catch (IOException ignored) {
                // the test ends the conversation
            }
        }).orTimeout(10, TimeUnit.SECONDS);
        return new InetSocketAddress("127.0.0.1", server.getLocalPort());
    }
}
