package dev.lifecycle.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.util.ClassUtils;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.State;

/**
 * Closing the context (what Spring's shutdown hook does on SIGTERM) on Jetty: readiness goes down and the drain
 * begins while the web server still serves, the request in flight completes; only then do the web server and the
 * beans stop.
 */
class ShutdownOrderTest {

    static final CountDownLatch requestArrived = new CountDownLatch(1);
    static final CountDownLatch finishRequest = new CountDownLatch(1);
    static final List<String> events = new CopyOnWriteArrayList<>();

    @Test
    void inFlightRequestCompletesBeforeTheWebServerStopsAndBeansAreDestroyed() throws Exception {
        try (RunningApp app = RunningApp.start(App.class, "spring.flyway.enabled=false",
                                               "spring.liquibase.enabled=false")) {
            app.awaitStarted();
            assertThat(app.context().getClass().getName()).contains("Servlet");
            assertThat(app.context().getBeanNamesForType(jettyFactoryClass())).isNotEmpty();
            Lifecycle lifecycle = app.context().getBean(Lifecycle.class);

            CompletableFuture<HttpResponse<String>> slow = app.getAsync("/slow");
            assertThat(requestArrived.await(30, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Void> closing = CompletableFuture.runAsync(app::close);

            await().atMost(RunningApp.TIMEOUT).until(() -> lifecycle.tracker().isDraining());
            assertThat(app.get("/health/ready").statusCode()).isEqualTo(503);
            assertThat(app.get("/health/live").statusCode()).isEqualTo(200);
            // The web server still serves: under the default drain policy a request reaching the service while
            // another is in flight is served (with Connection: close), not refused.
            HttpResponse<String> servedWhileDraining = app.get("/hello");
            assertThat(servedWhileDraining.statusCode()).isEqualTo(200);
            assertThat(servedWhileDraining.body()).isEqualTo("hello");
            assertThat(lifecycle.tracker().servedWhileDraining()).isEqualTo(1);
            assertThat(lifecycle.state()).isEqualTo(State.DRAINING);
            assertThat(events).isEmpty();
            assertThat(closing).isNotDone();

            finishRequest.countDown();
            HttpResponse<String> completed = slow.get(30, TimeUnit.SECONDS);
            assertThat(completed.statusCode()).isEqualTo(200);
            assertThat(completed.body()).isEqualTo("done");
            closing.get(30, TimeUnit.SECONDS);
            assertThat(events).containsExactly("bean destroyed; lifecycle STOPPED");
        }
    }

    static Class<?> jettyFactoryClass() {
        for (String name : List.of("org.springframework.boot.jetty.servlet.JettyServletWebServerFactory",
                                   "org.springframework.boot.web.embedded.jetty.JettyServletWebServerFactory")) {
            if (ClassUtils.isPresent(name, ShutdownOrderTest.class.getClassLoader())) {
                return ClassUtils.resolveClassName(name, ShutdownOrderTest.class.getClassLoader());
            }
        }
        throw new IllegalStateException("no JettyServletWebServerFactory on the class path");
    }

    /** Jetty instead of Tomcat (both are on the test class path), by the class name of Boot 4 or Boot 3. */
    static class JettyRegistrar implements ImportBeanDefinitionRegistrar {

        @Override
        public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
            registry.registerBeanDefinition("jettyServletWebServerFactory", new RootBeanDefinition(jettyFactoryClass()));
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @RestController
    @Import(JettyRegistrar.class)
    static class App {

        @GetMapping("/hello")
        String hello() {
            return "hello";
        }

        @GetMapping("/slow")
        String slow() throws InterruptedException {
            requestArrived.countDown();
            return finishRequest.await(60, TimeUnit.SECONDS) ? "done" : "timed out";
        }

        @Bean
        DisposableBean destructionRecorder(Lifecycle lifecycle) {
            return () -> events.add("bean destroyed; lifecycle " + lifecycle.state());
        }
    }
}
