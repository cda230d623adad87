package dev.lifecycle.examples;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * The Netty variant serves the same API as the Undertow service: every test of {@link ExampleServiceTest} runs
 * against it, plus what is particular to Netty.
 */
class NettyExampleServiceTest extends ExampleServiceTest {

    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 (\\d{3}) ");

    @Override
    Class<?> mainClass() {
        return NettyExampleService.class;
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderBehindSlowWork() throws Exception {
        String requests = "GET /work?ms=300 HTTP/1.1\r\nHost: localhost\r\n\r\n"
                          + "GET /users/987654321 HTTP/1.1\r\nHost: localhost\r\n\r\n"
                          + "GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        String responses;
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), service.awaitPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(requests.getBytes(US_ASCII));
            out.flush();
            // The last request asks to close: the server closes once the three responses are written.
            InputStream in = socket.getInputStream();
            responses = new String(in.readAllBytes(), UTF_8);
        }

        List<String> statuses = new ArrayList<>();
        Matcher matcher = STATUS_LINE.matcher(responses);
        while (matcher.find()) {
            statuses.add(matcher.group(1));
        }
        assertThat(statuses).containsExactly("200", "404", "200");
        int work = responses.indexOf("\"workedMs\":300");
        int notFound = responses.indexOf("no user with id '987654321'");
        int live = responses.indexOf("\"status\":\"UP\"");
        assertThat(work).isNotNegative().isLessThan(notFound);
        assertThat(notFound).isLessThan(live);
    }

    @Test
    void otherMethodsGet405WithAllow() throws Exception {
        ExampleProcess.HttpResponse put = service.send("PUT", "/users", "{}");
        assertError(put, 405, "method not allowed");
        assertThat(put.header("Allow")).isEqualTo("GET, POST");
        assertThat(service.send("DELETE", "/users/1", null).header("Allow")).isEqualTo("GET");
    }
}
