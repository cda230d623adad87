package dev.lifecycle.spring.boot;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import org.awaitility.core.ConditionTimeoutException;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A Spring Boot application started on a background thread, since {@code run} returns only once the startup tasks
 * are done, with a pooled JDK client to its ephemeral port. Uses no Boot type that moved between 3.5 and 4.0.
 */
final class RunningApp implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final AtomicReference<ConfigurableApplicationContext> context = new AtomicReference<>();
    private final CompletableFuture<ConfigurableApplicationContext> run;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private volatile int port;

    private RunningApp(Class<?> config, String... properties) {
        SpringApplicationBuilder builder = new SpringApplicationBuilder(config)
                .web(WebApplicationType.SERVLET)
                .registerShutdownHook(false)
                .properties("server.port=0", "server.address=127.0.0.1", "spring.main.banner-mode=off")
                .properties(properties)
                .initializers(context::set);
        run = CompletableFuture.supplyAsync(() -> builder.run(), runnable -> {
            Thread thread = new Thread(runnable, "spring-app-" + config.getSimpleName());
            thread.setDaemon(true);
            thread.start();
        });
    }

    /** Starts the application and waits until its web server listens (not until it is ready). */
    static RunningApp start(Class<?> config, String... properties) {
        RunningApp app = new RunningApp(config, properties);
        try {
            awaitPort(app);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("The web server did not start within " + TIMEOUT + "; the application's thread:"
                                     + stackOf("spring-app-" + config.getSimpleName()), e);
        }
        return app;
    }

    private static String stackOf(String threadName) {
        StringBuilder sb = new StringBuilder();
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            if (thread.getName().equals(threadName)) {
                for (StackTraceElement element : stack) {
                    sb.append("\n\tat ").append(element);
                }
            }
        });
        return sb.toString();
    }

    private static void awaitPort(RunningApp app) {
        await().atMost(TIMEOUT).until(() -> {
            if (app.run.isCompletedExceptionally()) {
                app.run.join(); // throws the startup failure
            }
            ConfigurableApplicationContext ctx = app.context.get();
            String port = ctx == null ? null : ctx.getEnvironment().getProperty("local.server.port");
            if (port != null) {
                app.port = Integer.parseInt(port);
            }
            return port != null;
        });
    }

    /** Waits until {@code SpringApplication.run} has returned: the startup tasks are done. */
    ConfigurableApplicationContext awaitStarted() {
        return run.orTimeout(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS).join();
    }

    CompletableFuture<ConfigurableApplicationContext> run() {
        return run;
    }

    ConfigurableApplicationContext context() {
        return context.get();
    }

    int port() {
        return port;
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).timeout(TIMEOUT).GET().build());
    }

    CompletableFuture<HttpResponse<String>> getAsync(String path) {
        return client.sendAsync(HttpRequest.newBuilder(uri(path)).timeout(TIMEOUT).GET().build(),
                                HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        ConfigurableApplicationContext ctx = context.get();
        if (ctx != null && ctx.isActive()) {
            ctx.close();
        }
    }
}
