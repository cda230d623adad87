package dev.lifecycle.examples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import dev.lifecycle.testing.ServiceProcess;

/**
 * The example service's fat jar running in a child JVM on an ephemeral loopback port, with a small HTTP client.
 * Inherited configuration variables are removed, so a test sets exactly what it means to.
 */
final class ExampleProcess implements AutoCloseable {

    static final Pattern LISTENING = Pattern.compile("Listening on http://127\\.0\\.0\\.1:(\\d+)");
    static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Small, quick-starting child JVMs: the machine running the tests has few cores. The Netty variant reports every
     * buffer it leaks in its log ({@code LEAK:}).
     */
    private static final List<String> JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                                                            "-Xmx128m", "-Xss512k",
                                                            "-Dio.netty.leakDetection.level=paranoid");
    private static final String[] INHERITED = {"PORT", "BIND_ADDRESS", "INSTANCE_ID", "DATA_DIR", "DATABASE_URL",
            "DATABASE_USER", "DATABASE_PASSWORD", "DB_SCHEMA_TARGET", "FLYWAY_EXTRA_LOCATIONS",
            "LIFECYCLE_READY_FILE", "LIFECYCLE_PRESTOP_DELAY", "LIFECYCLE_DRAIN_TIMEOUT",
            "LIFECYCLE_LONG_LIVED_DRAIN_TIMEOUT", "LIFECYCLE_STOP_TIMEOUT", "LIFECYCLE_TERMINATION_GRACE_PERIOD",
            "LIFECYCLE_DRAIN_POLICY", "LIFECYCLE_READY_FILE_REFRESH_INTERVAL", "LIFECYCLE_HEALTH_CHECK_TIMEOUT",
            "LIFECYCLE_HEALTH_CHECK_MAX_AGE"};

    private final ServiceProcess process;
    private volatile int port = -1;

    private ExampleProcess(ServiceProcess process) {
        this.process = process;
    }

    /**
     * Starts the jar (its main class, {@link ExampleService}) with {@code PORT=0}, {@code BIND_ADDRESS=127.0.0.1} and
     * {@code environment}, logging to {@code target/service-logs/<name>.log}.
     */
    static ExampleProcess start(String name, Map<String, String> environment, String... args) {
        return start(null, name, environment, args);
    }

    /** Starts {@code mainClass} from the jar, as {@link #start(String, Map, String...)} does the jar's main class. */
    static ExampleProcess start(Class<?> mainClass, String name, Map<String, String> environment, String... args) {
        List<String> command = new ArrayList<>();
        command.add(ServiceProcess.javaExecutable());
        command.addAll(JVM_OPTIONS);
        if (mainClass == null) {
            command.add("-jar");
            command.add(jar().toString());
        } else {
            command.add("-cp");
            command.add(jar().toString());
            command.add(mainClass.getName());
        }
        command.addAll(List.of(args));
        ServiceProcess process = ServiceProcess.builder(command)
                                               .removeEnvironment(INHERITED)
                                               .environment("PORT", "0")
                                               .environment("BIND_ADDRESS", "127.0.0.1")
                                               .environment(environment)
                                               .logFile(jar().getParent().resolve("service-logs")
                                                                    .resolve(name + ".log"))
                                               .start();
        return new ExampleProcess(process);
    }

    private static Path jar() {
        return Path.of(System.getProperty("examples.jar", "target/examples.jar")).toAbsolutePath();
    }

    /** Waits for the port to open and returns it. */
    int awaitPort() {
        if (port < 0) {
            port = Integer.parseInt(process.awaitLine(LISTENING, STARTUP_TIMEOUT).group(1));
        }
        return port;
    }

    /** Waits for the port, then for readiness. */
    ExampleProcess awaitReady() {
        awaitPort();
        await().atMost(STARTUP_TIMEOUT).pollInterval(Duration.ofMillis(100))
               .until(() -> get(ServiceConfig.READY_PATH).status() == 200);
        return this;
    }

    ServiceProcess process() {
        return process;
    }

    HttpResponse get(String target) throws IOException {
        return send("GET", target, null);
    }

    HttpResponse post(String target, String json) throws IOException {
        return send("POST", target, json);
    }

    HttpResponse send(String method, String target, String body) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) URI.create("http://127.0.0.1:" + awaitPort() + target)
                                                              .toURL().openConnection();
        connection.setRequestMethod(method);
        connection.setConnectTimeout(5_000);
        connection.setReadTimeout(70_000);
        connection.setUseCaches(false);
        if (body != null) {
            connection.setDoOutput(true);
            connection.setRequestProperty("Content-Type", "application/json");
            try (OutputStream out = connection.getOutputStream()) {
                out.write(body.getBytes(UTF_8));
            }
        }
        try {
            int status = connection.getResponseCode();
            InputStream in = status >= 400 ? connection.getErrorStream() : connection.getInputStream();
            String text = in == null ? "" : new String(in.readAllBytes(), UTF_8);
            if (in != null) {
                in.close();
            }
            return new HttpResponse(status, connection.getHeaderFields(), text);
        } finally {
            connection.disconnect();
        }
    }

    /** Sends SIGTERM and returns the exit status. */
    int terminate() {
        process.signal("TERM");
        return process.awaitExit(EXIT_TIMEOUT);
    }

    @Override
    public void close() {
        process.close();
    }

    /** A response: status, headers, body. */
    record HttpResponse(int status, Map<String, List<String>> headers, String body) {

        /** The first value of the header, or {@code null}. */
        String header(String name) {
            for (Map.Entry<String, List<String>> entry : headers.entrySet()) {
                if (name.equalsIgnoreCase(entry.getKey()) && !entry.getValue().isEmpty()) {
                    return entry.getValue().get(0);
                }
            }
            return null;
        }
    }
}
