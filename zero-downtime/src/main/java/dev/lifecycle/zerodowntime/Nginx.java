package dev.lifecycle.zerodowntime;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ingress-like front: a real nginx in the node's network namespace, in HTTP mode, proxying to the Service with
 * upstream keep-alive as ingress-nginx configures it ({@code keepalive 320}, {@code keepalive_timeout 60s},
 * {@code keepalive_requests 10000}, HTTP/1.1 and an empty {@code Connection} header to the upstream) and with its
 * retries turned off ({@code proxy_next_upstream off}) so that it hides no failure. Upstream connections go to the
 * Service address, through kube-proxy's rules (ingress-nginx's {@code service-upstream} mode): open-source nginx
 * cannot change its upstream servers without a reload, and a reload closes idle client connections, which would
 * blame the service for nginx's own behaviour.
 *
 * <p>nginx answers {@code Connection: close} from a pod by closing that upstream connection, not the client's:
 * clients of an ingress see a draining pod only as the answers (and failures) nginx relays.
 */
final class Nginx implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(Nginx.class);
    static final int PORT = 8081;

    private final Process process;
    private final Path directory;

    private Nginx(Process process, Path directory) {
        this.process = process;
        this.directory = directory;
    }

    static String config(Path directory, String upstream, Duration readTimeout) {
        long timeout = Math.max(1, readTimeout.toSeconds());
        return String.join("\n",
                "worker_processes 1;",
                "user root;",
                "daemon off;",
                "pid " + directory.resolve("nginx.pid") + ";",
                "error_log " + directory.resolve("error.log") + " warn;",
                "events { worker_connections 4096; }",
                "http {",
                "  access_log " + directory.resolve("access.log") + ";",
                "  client_body_temp_path " + directory.resolve("body") + ";",
                "  proxy_temp_path " + directory.resolve("proxy") + ";",
                "  fastcgi_temp_path " + directory.resolve("fastcgi") + ";",
                "  uwsgi_temp_path " + directory.resolve("uwsgi") + ";",
                "  scgi_temp_path " + directory.resolve("scgi") + ";",
                "  keepalive_timeout 75s;",
                "  keepalive_requests 1000;",
                "  upstream service {",
                "    server " + upstream + ";",
                "    keepalive 320;",
                "    keepalive_timeout 60s;",
                "    keepalive_requests 10000;",
                "  }",
                "  server {",
                "    listen 127.0.0.1:" + PORT + ";",
                "    location / {",
                "      proxy_pass http://service;",
                "      proxy_http_version 1.1;",
                "      proxy_set_header Connection \"\";",
                "      proxy_set_header Host $host;",
                "      proxy_next_upstream off;",
                "      proxy_connect_timeout 2s;",
                "      proxy_read_timeout " + timeout + "s;",
                "      proxy_send_timeout " + timeout + "s;",
                "      proxy_buffering on;",
                "    }",
                "  }",
                "}",
                "");
    }

    /** Starts nginx in the node's namespace and waits until it accepts connections there. */
    static Nginx start(KubeProxy kube, Path directory, Duration readTimeout) throws IOException, InterruptedException {
        Files.createDirectories(directory);
        Path config = directory.resolve("nginx.conf");
        Files.writeString(config, config(directory.toAbsolutePath(),
                KubeProxy.SERVICE_ADDRESS + ":" + KubeProxy.SERVICE_PORT, readTimeout));
        Process process = new ProcessBuilder(kube.inNode(List.of("nginx", "-c", config.toAbsolutePath().toString(),
                "-p", directory.toAbsolutePath().toString())))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(directory.resolve("nginx.out").toFile()))
                .start();
        Nginx nginx = new Nginx(process, directory);
        try {
            // nginx writes its pid file once its workers run; the port is in the node's namespace, out of our reach.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.exists(directory.resolve("nginx.pid"))) {
                if (!process.isAlive()) {
                    throw new IOException("nginx exited with " + process.exitValue() + ": "
                            + Files.readString(directory.resolve("nginx.out")).strip());
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("nginx not started within 10 s; see " + directory);
                }
                TimeUnit.MILLISECONDS.sleep(20);
            }
            logger.info("nginx in {} on 127.0.0.1:{}, upstream {}:{} with keep-alive, retries off", kube.node(), PORT,
                    KubeProxy.SERVICE_ADDRESS, KubeProxy.SERVICE_PORT);
            return nginx;
        } catch (IOException | RuntimeException | InterruptedException e) {
            nginx.close();
            throw e;
        }
    }

    /** Where clients in the node's namespace connect. */
    static InetSocketAddress address() {
        return InetSocketAddress.createUnresolved("127.0.0.1", PORT);
    }

    Path directory() {
        return directory;
    }

    /** Quick stop (SIGTERM), then SIGKILL after 5 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
