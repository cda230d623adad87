package dev.lifecycle.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.util.TimeValue;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.util.ClassUtils;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.lifecycle.core.Lifecycle;
import jakarta.servlet.http.HttpServletRequest;

/**
 * The starter installs the embedded container's integration: a pooled keep-alive connection that sat idle across
 * the pre-stop delay is closed by the server (FIN) when the drain begins, so the pooled client's next request goes
 * on a new connection and is served, on Tomcat and Jetty, with the JDK's client and Apache HttpClient 5; and a
 * response Spring MVC writes while draining, to a request admitted before, carries {@code Connection: close}.
 */
class IdleConnectionsTest {

    // One pair per run: the applications' controllers are static classes.
    static volatile CountDownLatch slowEntered;
    static volatile CountDownLatch slowRelease;

    // Proves (issue 15): without the starter's customizers the idle connection stays open through the drain (Boot's
    // containers close it only when they stop), the next request reuses it (same client port) and nothing counts a
    // closed idle connection: this test fails.
    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource({"tomcat, jdk", "tomcat, apache", "jetty, jdk", "jetty, apache"})
    void connectionIdleAcrossThePreStopDelayIsClosedWhenTheDrainBeginsAndTheNextRequestGoesOnANewOne(
            String container, String clientName) throws Exception {
        slowEntered = new CountDownLatch(1);
        slowRelease = new CountDownLatch(1);
        Class<?> config = container.equals("jetty") ? JettyApp.class : TomcatApp.class;
        try (RunningApp app = RunningApp.start(config, "spring.flyway.enabled=false", "spring.liquibase.enabled=false",
                                               "lifecycle.prestop-delay=300ms");
             Client client = Client.create(clientName, app.port())) {
            try {
                run(app, client, container);
            } finally {
                // before the application closes: a failed run does not leave the drain waiting for it
                slowRelease.countDown();
            }
        }
    }

    private static void run(RunningApp app, Client client, String container) throws Exception {
        app.awaitStarted();
        assertThat(app.context().getBeanNamesForType(factoryClass(container))).isNotEmpty();
        Lifecycle lifecycle = app.context().getBean(Lifecycle.class);

        Client.Result first = client.get("/port");
        assertThat(first.status()).isEqualTo(200);
        // A request in flight on another connection keeps the drain, and so the web server, going.
        CompletableFuture<HttpResponse<String>> slow = app.getAsync("/slow");
        assertThat(slowEntered.await(30, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<Void> closing = CompletableFuture.runAsync(app::close);
        await().atMost(RunningApp.TIMEOUT).until(() -> lifecycle.tracker().isDraining());
        await("the pooled connection closed by the server as the drain began").atMost(Duration.ofSeconds(10))
               .until(() -> lifecycle.connections().closedIdleCount() >= 1);

        Client.Result next = client.get("/port");
        assertThat(next.status()).as("served while draining, not refused").isEqualTo(200);
        assertThat(next.body()).as("the client's port: a new connection").isNotEqualTo(first.body());
        assertThat(lifecycle.tracker().refused()).isZero();

        slowRelease.countDown();
        HttpResponse<String> slowResponse = slow.get(30, TimeUnit.SECONDS);
        assertThat(slowResponse.statusCode()).isEqualTo(200);
        // Admitted before the drain, its body written by Spring MVC after: the header that keeps its connection out
        // of the client's pool, set by LifecycleFilter when Spring MVC flushes (commits) the body inside the chain.
        assertThat(slowResponse.headers().firstValue("Connection")).hasValue("close");
        closing.get(30, TimeUnit.SECONDS);
    }

    static Class<?> factoryClass(String container) {
        List<String> names = container.equals("jetty")
                ? List.of("org.springframework.boot.jetty.servlet.JettyServletWebServerFactory",
                          "org.springframework.boot.web.embedded.jetty.JettyServletWebServerFactory")
                : List.of("org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory",
                          "org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory");
        for (String name : names) {
            if (ClassUtils.isPresent(name, IdleConnectionsTest.class.getClassLoader())) {
                return ClassUtils.resolveClassName(name, IdleConnectionsTest.class.getClassLoader());
            }
        }
        throw new IllegalStateException("none of " + names + " on the class path");
    }

    @RestController
    static class Endpoints {

        @GetMapping("/port")
        String port(HttpServletRequest request) {
            return Integer.toString(request.getRemotePort());
        }

        @GetMapping("/slow")
        String slow() throws InterruptedException {
            slowEntered.countDown();
            return slowRelease.await(60, TimeUnit.SECONDS) ? "done" : "timed out";
        }
    }

    /** Tomcat instead of Jetty (Boot 4.0's choice when both are on the class path). */
    static class TomcatRegistrar implements ImportBeanDefinitionRegistrar {

        @Override
        public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
            registry.registerBeanDefinition("tomcatServletWebServerFactory",
                                            new RootBeanDefinition(factoryClass("tomcat")));
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({Endpoints.class, TomcatRegistrar.class})
    static class TomcatApp {
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({Endpoints.class, ShutdownOrderTest.JettyRegistrar.class})
    static class JettyApp {
    }

    /** A real pooled HTTP/1.1 client, as services call each other, with its default retry behaviour. */
    interface Client extends AutoCloseable {

        record Result(int status, String body) {
        }

        Result get(String path) throws IOException, InterruptedException;

        @Override
        void close() throws IOException;

        static Client create(String name, int port) {
            URI base = URI.create("http://127.0.0.1:" + port);
            return name.equals("apache") ? new Apache(base) : new Jdk(base);
        }

        /** The JDK's client: idle connections in its pool are dropped when the server's FIN arrives. */
        final class Jdk implements Client {
            private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                                                        .connectTimeout(Duration.ofSeconds(5)).build();
            private final URI base;

            Jdk(URI base) {
                this.base = base;
            }

            @Override
            public Result get(String path) throws IOException, InterruptedException {
                HttpResponse<String> response = client.send(
                        HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                return new Result(response.statusCode(), response.body());
            }

            @Override
            public void close() {
                // HttpClient is AutoCloseable from JDK 21 on; its threads are daemons before.
                if (client instanceof AutoCloseable closeable) {
                    try {
                        closeable.close();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }

        /** Apache HttpClient 5, classic, pooling connection manager. */
        final class Apache implements Client {
            private final CloseableHttpClient client;
            private final URI base;

            Apache(URI base) {
                this.base = base;
                // A pooled connection is checked for staleness after this much inactivity (2 s by default): shortened
                // as the test's pre-stop delay is shorter than production's.
                client = HttpClients.custom()
                        .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                                .setDefaultConnectionConfig(ConnectionConfig.custom()
                                        .setValidateAfterInactivity(TimeValue.ofMilliseconds(50)).build())
                                .build())
                        .build();
            }

            @Override
            public Result get(String path) throws IOException {
                return client.execute(new HttpGet(base.resolve(path)), response -> new Result(
                        response.getCode(), EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8)));
            }

            @Override
            public void close() throws IOException {
                client.close();
            }
        }
    }
}
