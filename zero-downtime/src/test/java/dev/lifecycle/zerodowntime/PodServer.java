package dev.lifecycle.zerodowntime;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * A minimal replica for data-plane tests, run as a process in a pod's network namespace: the JDK's own HTTP server on
 * the given port, answering 200 "hello" with {@code X-Instance: <name>} to everything; prints {@value #LISTENING} once
 * it listens, and ends with its standard input or after 120 s at most.
 */
final class PodServer {

    static final String LISTENING = "listening";

    private PodServer() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        String name = args[0];
        HttpServer server = HttpServer.create(new InetSocketAddress(Integer.parseInt(args[1])), 64);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", exchange -> {
            byte[] body = "hello".getBytes(StandardCharsets.US_ASCII);
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("X-Instance", name);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        System.out.println(LISTENING);
        System.out.flush();
        Thread stdin = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the test writes nothing: the end of input ends the server
                }
            } catch (IOException ignored) {
                // same as the end of input
            }
        });
        stdin.setDaemon(true);
        stdin.start();
        stdin.join(120_000);
        server.stop(0);
        System.exit(0);
    }
}
