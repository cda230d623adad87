package dev.lifecycle.testing;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Against a scripted server on loopback: it reads one request head, then writes exactly the bytes given. */
class RawHttpConnectionTest {

    private final BackgroundThreads background = new BackgroundThreads(Duration.ofSeconds(10));
    private ServerSocket server;

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        background.close();
    }

    /** Accepts one connection, reads {@code requests} request heads, writes {@code response}, then maybe closes. */
    private CompletableFuture<String> script(int requests, String response, boolean close) throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        CompletableFuture<String> received = new CompletableFuture<>();
        background.start("scripted-server", () -> {
            try {
                Socket socket = server.accept();
                StringBuilder heads = new StringBuilder();
                for (int i = 0; i < requests; i++) {
                    heads.append(readHead(socket.getInputStream()));
                }
                received.complete(heads.toString());
                socket.getOutputStream().write(response.getBytes(US_ASCII));
                socket.getOutputStream().flush();
                if (close) {
                    socket.close();
                }
            } catch (IOException e) {
                received.completeExceptionally(e);
            }
        });
        return received;
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b == -1) {
                throw new EOFException(head.toString(US_ASCII));
            }
            head.write(b);
        }
        return head.toString(US_ASCII);
    }

    @Test
    void readsPipelinedResponsesByContentLengthAndChunkedWithCaseInsensitiveHeaders() throws Exception {
        CompletableFuture<String> received = script(2, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: a=1\r\n"
                                                       + "set-cookie: b=2\r\n\r\nhello"
                                                       + "HTTP/1.1 503 Service Unavailable\r\n"
                                                       + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                                                       + "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n",
                                                    true);
        try (RawHttpConnection connection = new RawHttpConnection(server.getLocalPort())) {
            connection.request("GET", "/first").request("POST", "/second");

            RawHttpConnection.Response first = connection.read();
            RawHttpConnection.Response second = connection.read();

            assertThat(first.status()).isEqualTo(200);
            assertThat(first.body()).isEqualTo("hello");
            assertThat(first.header("SET-COOKIE")).isEqualTo("a=1, b=2");
            assertThat(first.closesConnection()).isFalse();
            assertThat(second.status()).isEqualTo(503);
            assertThat(second.body()).isEqualTo("abcde");
            assertThat(second.closesConnection()).isTrue();
            assertThat(connection.isClosedByServer()).isTrue();
        }
        assertThat(received.get()).isEqualTo("GET /first HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                             + "POST /second HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
    }

    @Test
    void readsChunksOneAtATimeAfterTheHead() throws Exception {
        script(1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst,\r\n6\r\nsecond\r\n0\r\n\r\n", false);
        try (RawHttpConnection connection = new RawHttpConnection(server.getLocalPort())) {
            assertThat(connection.request("GET", "/stream").readHead().status()).isEqualTo(200);

            assertThat(connection.readChunk()).isEqualTo("first,");
            assertThat(connection.readChunk()).isEqualTo("second");
            assertThat(connection.readChunk()).isEmpty();
        }
    }

    @Test
    void aResponseCutShortIsAnEofNamingWhatWasRead() throws Exception {
        script(1, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b", true);
        try (RawHttpConnection connection = new RawHttpConnection(server.getLocalPort())) {
            assertThatThrownBy(() -> connection.get("/x")).isInstanceOf(EOFException.class)
                                                          .hasMessage("connection closed after 10 of 100 body bytes");
        }
    }

    @Test
    void dataInsteadOfTheEndOfTheStreamIsAnError() throws Exception {
        script(1, "HTTP/1.1 204 No Content\r\n\r\nextra", false);
        try (RawHttpConnection connection = new RawHttpConnection(server.getLocalPort())) {
            assertThat(connection.get("/x").status()).isEqualTo(204);

            assertThatThrownBy(connection::isClosedByServer)
                    .isInstanceOf(IOException.class)
                    .hasMessage("unexpected data instead of the end of the stream: 'e'");
        }
    }

    @Test
    void sendsAPostWithItsBodyAndReadsABodyAfterTheHeadOrNoneForAHeadRequest() throws Exception {
        CompletableFuture<String> received = script(1, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\necho"
                                                       + "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n", false);
        try (RawHttpConnection connection = new RawHttpConnection(server.getLocalPort(), 4096)) {
            connection.sendPost("/echo", "héllo");

            RawHttpConnection.Response head = connection.readHead();
            assertThat(head.body()).isEmpty();
            assertThat(connection.readBody(head, false).body()).isEqualTo("echo");
            RawHttpConnection.Response headResponse = connection.readHead();
            assertThat(connection.readBody(headResponse, true).body()).as("a HEAD response has no body").isEmpty();
            assertThat(headResponse.header("Content-Length")).isEqualTo("4");
        }
        assertThat(received.get()).isEqualTo("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                                             + "Content-Length: 6\r\n\r\n");
    }

    @Test
    void isClosedBeforeUseSeesAKeptAliveConnectionOpenAndLeavesItUsable() throws Exception {
        script(1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false);
        try (RawHttpConnection connection = new RawHttpConnection(server.getLocalPort())) {
            assertThat(connection.get("/x").body()).isEqualTo("ok");

            assertThat(connection.isClosedBeforeUse()).isFalse();
            assertThat(connection.isClosedBeforeUse()).as("the socket timeout restored, no byte consumed").isFalse();
        }
    }

    @Test
    void isClosedBeforeUseSeesTheServersClose() throws Exception {
        script(1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true);
        try (RawHttpConnection connection = new RawHttpConnection(server.getLocalPort())) {
            assertThat(connection.get("/x").body()).isEqualTo("ok");

            // The FIN follows the response: a pooled client checking later sees it.
            await().atMost(Duration.ofSeconds(10)).until(connection::isClosedBeforeUse);
        }
    }
}
