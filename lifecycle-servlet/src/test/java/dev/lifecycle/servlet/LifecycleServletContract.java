package dev.lifecycle.servlet;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.SoftAssertions.assertSoftly;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.lifecycle.core.DrainPolicy;
import dev.lifecycle.core.Health.TaskStatus;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.LifecycleBuilder;
import dev.lifecycle.core.Probe;
import dev.lifecycle.core.StartupException;
import dev.lifecycle.core.StartupTask;
import dev.lifecycle.core.State;
import dev.lifecycle.testing.BackgroundThreads;
import dev.lifecycle.testing.LogCapture;
import dev.lifecycle.testing.RawHttpConnection;
import dev.lifecycle.testing.RawHttpConnection.Response;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterRegistration;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletRegistration;
import jakarta.servlet.http.HttpServletResponse;

/**
 * What {@link LifecycleFilter}, {@link HealthServlet} and {@link LifecycleServlets} promise, checked over real
 * sockets on a real container; one subclass per container, so that every promise is proven on each.
 */
abstract class LifecycleServletContract {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final ServletContainer container;
    private final TestApp app = new TestApp();
    private final CountDownLatch startupRelease = new CountDownLatch(1);
    private final List<RawHttpConnection> connections = new ArrayList<>();
    private final AtomicBoolean serverStopped = new AtomicBoolean();
    private Lifecycle lifecycle;
    private ServletContainer.Running server;
    private final BackgroundThreads background = new BackgroundThreads(WAIT);
    private CompletableFuture<Void> shutdownDone;

    LifecycleServletContract(ServletContainer container) {
        this.container = container;
    }

    @AfterEach
    void stopEverything() throws Exception {
        app.completer.shutdownNow();
        app.slowRelease.countDown();
        startupRelease.countDown();
        for (AsyncContext async = app.asyncRequests.poll(); async != null; async = app.asyncRequests.poll()) {
            try {
                async.complete();
            } catch (IllegalStateException alreadyOver) {
                // timed out or completed by the test
            }
        }
        background.close();
        for (RawHttpConnection connection : connections) {
            connection.close();
        }
        stopServer();
    }

    /** Stops the server once, as a stop action of the lifecycle or after the test. */
    private void stopServer() throws Exception {
        if (server != null && serverStopped.compareAndSet(false, true)) {
            server.stop();
        }
    }

    @Test
    void slowRequestStartedBeforeShutdownCompletesAndShutdownWaitsForIt() throws Exception {
        serve(Lifecycle.builder().drainTimeout(Duration.ofMinutes(1)));
        lifecycle.start();
        RawHttpConnection slow = connect();
        slow.request("GET", "/app/slow");
        assertThat(app.slowEntered.await(WAIT.toSeconds(), SECONDS)).isTrue();

        shutdownInBackground();
        await().atMost(WAIT).until(lifecycle.tracker()::isDraining);
        assertThat(get("/health/live").status()).as("probes are neither refused nor counted").isEqualTo(200);
        assertThat(lifecycle.tracker().inflight()).isEqualTo(1);
        assertThat(lifecycle.state()).isEqualTo(State.DRAINING);
        assertThat(shutdownDone).isNotDone();

        app.slowRelease.countDown();
        Response response = slow.read();
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("slow");
        assertThat(response.closesConnection()).as("ended during the drain: Connection: close").isTrue();
        assertThat(slow.isClosedByServer()).isTrue();
        await().atMost(WAIT).until(shutdownDone::isDone);
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    @Test
    void requestDuringTheDrainIsServedWithConnectionCloseByDefault() throws Exception {
        serve(Lifecycle.builder().drainTimeout(Duration.ofMinutes(1)));
        lifecycle.start();
        RawHttpConnection slow = connect();
        slow.request("GET", "/app/slow");
        assertThat(app.slowEntered.await(WAIT.toSeconds(), SECONDS)).isTrue();
        shutdownInBackground();
        await().atMost(WAIT).until(lifecycle.tracker()::isDraining);

        try (RawHttpConnection late = connect()) {
            Response served = late.exchange("GET", "/app/hello");
            assertThat(served.status()).isEqualTo(200);
            assertThat(served.closesConnection()).isTrue();
            assertThat(late.isClosedByServer()).isTrue();
        }
        assertThat(lifecycle.tracker().servedWhileDraining()).isEqualTo(1);
        assertThat(lifecycle.tracker().refused()).isZero();
        assertThat(shutdownDone).isNotDone();
        app.slowRelease.countDown();
        assertThat(slow.read().status()).isEqualTo(200);
        await().atMost(WAIT).until(shutdownDone::isDone);
    }

    @Test
    void requestAfterAdmissionClosedGets503WithRetryAfterAndNeverReachesTheApp() throws Exception {
        serve(Lifecycle.builder().retryAfter(Duration.ofSeconds(7)).drainTimeout(Duration.ofMinutes(1))
                       .drainPolicy(DrainPolicy.REJECT_503));
        lifecycle.start();
        RawHttpConnection slow = connect();
        slow.request("GET", "/app/slow");
        assertThat(app.slowEntered.await(WAIT.toSeconds(), SECONDS)).isTrue();
        shutdownInBackground();
        await().atMost(WAIT).until(lifecycle.tracker()::isDraining);

        try (RawHttpConnection late = connect()) {
            Response refused = late.exchange("GET", "/app/hello?page=2");
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isEqualTo("7");
            assertThat(refused.closesConnection()).isTrue();
            assertThat(refused.header("Content-Type")).startsWith("text/plain");
            assertThat(refused.body()).isEqualTo("Service Unavailable: shutting down\n");
            assertThat(late.isClosedByServer()).isTrue();
        }
        assertThat(app.calls).as("only the slow request reached the app").hasValue(1);
        assertThat(lifecycle.tracker().refused()).isEqualTo(1);
        assertThat(lifecycle.tracker().inflight()).isEqualTo(1);
        app.slowRelease.countDown();
        assertThat(slow.read().status()).isEqualTo(200);
        await().atMost(WAIT).until(shutdownDone::isDone);
    }

    @Test
    void concurrentRequestsAcrossShutdownAreEachAnsweredOnceAndNoneLeaks() throws Exception {
        serve(Lifecycle.builder().drainTimeout(Duration.ofSeconds(30)).describeRequests(false));
        lifecycle.start();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        int port = server.port();
        List<CompletableFuture<Void>> clients = new ArrayList<>();
        CountDownLatch everyClientServed = new CountDownLatch(4);
        long deadline = System.nanoTime() + WAIT.toNanos();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            for (int client = 0; client < 4; client++) {
                clients.add(CompletableFuture.runAsync(() -> {
                    RawHttpConnection connection = null;
                    boolean served = false;
                    try {
                        // Each client goes on until refused once: its requests straddle the close of admission,
                        // which comes only once every client has been served (however fast the machine).
                        while (true) {
                            if (System.nanoTime() - deadline > 0) {
                                throw new AssertionError("not refused within " + WAIT + " of the start");
                            }
                            if (connection == null) {
                                connection = new RawHttpConnection(port);
                            }
                            Response response = connection.exchange("GET", "/app/hello");
                            if (response.status() == 200 && response.body().equals("hello")) {
                                ok.incrementAndGet();
                                if (!served) {
                                    served = true;
                                    everyClientServed.countDown();
                                }
                            } else if (response.status() == 503 && response.closesConnection()) {
                                refused.incrementAndGet();
                                break;
                            } else {
                                throw new AssertionError("unexpected " + response);
                            }
                            if (response.closesConnection()) {
                                connection.close();
                                connection = null;
                            }
                        }
                        if (connection != null) {
                            connection.close();
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, threads));
            }
            assertThat(everyClientServed.await(WAIT.toSeconds(), SECONDS)).as("every client served once").isTrue();
            lifecycle.shutdown();
            CompletableFuture.allOf(clients.toArray(new CompletableFuture<?>[0])).get(WAIT.toSeconds(), SECONDS);
        } finally {
            threads.shutdownNow();
        }

        await().atMost(WAIT).until(() -> lifecycle.tracker().inflight() == 0); // exits once the last byte is written
        assertThat(app.calls).as("every 200 came from the app, every 503 did not reach it").hasValue(ok.get());
        assertThat(refused).hasValue(4);
        assertThat(lifecycle.tracker().refused()).isEqualTo(4);
    }

    @Test
    void keepAliveClientGetsConnectionCloseDuringPreStopDelayAndServerClosesTheConnection() throws Exception {
        serve(Lifecycle.builder().preStopDelay(Duration.ofMinutes(5)));
        lifecycle.start();
        RawHttpConnection keepAlive = connect();
        Response beforeShutdown = keepAlive.exchange("GET", "/app/hello");
        assertThat(beforeShutdown.status()).isEqualTo(200);
        assertThat(beforeShutdown.closesConnection()).isFalse();

        shutdownInBackground();
        await().atMost(WAIT).until(() -> lifecycle.state() == State.DRAINING);
        assertThat(lifecycle.tracker().isClosed()).as("still admitting during the pre-stop delay").isFalse();
        Response duringDrain = keepAlive.exchange("GET", "/app/hello");
        assertThat(duringDrain.status()).isEqualTo(200);
        assertThat(duringDrain.body()).isEqualTo("hello");
        assertThat(duringDrain.closesConnection()).isTrue();
        assertThat(keepAlive.isClosedByServer()).isTrue();
    }

    // Proves (commit-close): a request admitted before the drain whose response is committed inside the chain after
    // the drain began (a flush, as Spring MVC's message converters do after every body; a body larger than the
    // buffer; flushBuffer(); sendError(); sendRedirect(); a flush from another thread through an AsyncContext) carries
    // Connection: close, and the server closes the connection. Before, the filter set the header only before the chain
    // or, when the chain returned, on a response not committed yet: such a connection stayed open.
    @ParameterizedTest
    @ValueSource(strings = {"stream", "writer", "flushBuffer", "overflow", "sendError", "sendRedirect", "async"})
    void responseCommittedInsideTheChainAfterTheDrainBeganCarriesConnectionClose(String via) throws Exception {
        assumeTrue(!via.equals("sendRedirect") || container.redirects(), "sendRedirect() works on this class path");
        serve(Lifecycle.builder().drainTimeout(Duration.ofMinutes(1)));
        lifecycle.start();
        RawHttpConnection client = connect();
        client.request("GET", "/app/flush?via=" + via);
        assertThat(app.flushEntered.await(WAIT.toSeconds(), SECONDS)).isTrue();
        shutdownInBackground();
        await().atMost(WAIT).until(lifecycle.tracker()::isDraining);
        assertThat(lifecycle.tracker().inflight()).isEqualTo(1);

        app.flushRelease.countDown();
        Response response = client.read();
        int status = via.equals("sendError") ? 409 : via.equals("sendRedirect") ? 302 : 200;
        assertThat(response.status()).as("%s", response.headers()).isEqualTo(status);
        assertThat(response.closesConnection()).as("committed inside the chain during the drain: %s",
                                                    response.headers()).isTrue();
        assertThat(client.isClosedByServer()).isTrue();
        await().atMost(WAIT).until(shutdownDone::isDone);
        assertThat(lifecycle.connections().closedAfterResponseCount()).isEqualTo(1);
    }

    // Proves (commit-close, found by a Spring Boot rollout): a pooled client's request admitted before SIGTERM and
    // answered during the pre-stop delay with a response committed inside the chain (Spring MVC flushes every
    // @ResponseBody) gets Connection: close, so the client's next request goes on a new connection and succeeds.
    // Before, the connection went back to the pool without it and was reused; the integration closes such a
    // connection when the drain begins, under a client that reuses it unchecked (Apache HttpClient 5 checks only
    // after 2 s idle): a failed request. A POST, which neither client retries.
    @ParameterizedTest
    @ValueSource(strings = {"jdk", "apache"})
    void pooledClientsNextRequestAfterAResponseCommittedInsideTheChainGoesOnANewConnection(String clientName)
            throws Exception {
        serveIntegrated(Lifecycle.builder().preStopDelay(Duration.ofMinutes(5)));
        lifecycle.start();
        ExecutorService threads = Executors.newSingleThreadExecutor();
        try (PooledClient client = PooledClient.create(clientName, server.port())) {
            CompletableFuture<PooledClient.Result> flushed =
                    CompletableFuture.supplyAsync(() -> client.get("/app/flush?via=stream"), threads);
            assertThat(app.flushEntered.await(WAIT.toSeconds(), SECONDS)).isTrue();
            shutdownInBackground();
            await().atMost(WAIT).until(() -> lifecycle.state() == State.DRAINING);

            app.flushRelease.countDown();
            PooledClient.Result first = flushed.get(WAIT.toSeconds(), SECONDS);
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.closesConnection()).as("committed inside the chain during the pre-stop delay").isTrue();
            PooledClient.Result next = client.post("/app/port", "next");
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.body()).as("the client's port: a new connection").isNotEqualTo(first.body());
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void errorResponsesDuringDrainCloseTheConnectionWhereTheContainerKeepsTheHeader() throws Exception {
        serve(Lifecycle.builder().preStopDelay(Duration.ofMinutes(5)));
        lifecycle.start();
        shutdownInBackground();
        await().atMost(WAIT).until(() -> lifecycle.state() == State.DRAINING);

        RawHttpConnection notFoundConnection = connect();
        Response notFound = notFoundConnection.exchange("GET", "/app/missing");
        assertThat(notFound.status()).isEqualTo(404);
        assertThat(notFound.closesConnection()).isTrue();
        assertThat(notFoundConnection.isClosedByServer()).isTrue();

        RawHttpConnection failedConnection = connect();
        Response failed = failedConnection.exchange("GET", "/app/fail");
        assertThat(failed.status()).isEqualTo(500);
        // Pinned both ways: if a container changes its behaviour, this test says so.
        assertThat(failed.closesConnection()).isEqualTo(container.keepsHeadersOnUncaughtException());
        if (failed.closesConnection()) {
            assertThat(failedConnection.isClosedByServer()).isTrue();
        }
        await().atMost(WAIT).until(() -> lifecycle.tracker().inflight() == 0); // exits once the last byte is written
    }

    @Test
    void asyncRequestKeepsTheDrainWaitingUntilAnotherThreadCompletesIt() throws Exception {
        serve(Lifecycle.builder().drainTimeout(Duration.ofMinutes(1)));
        lifecycle.start();
        RawHttpConnection client = connect();
        client.request("GET", "/app/async");
        AsyncContext async = app.asyncRequests.poll(WAIT.toSeconds(), SECONDS);
        assertThat(async).isNotNull();

        shutdownInBackground();
        await().atMost(WAIT).until(lifecycle.tracker()::isDraining);
        // The dispatch that started async has long returned: the request must stay counted regardless.
        await().during(Duration.ofMillis(300)).atMost(WAIT)
               .until(() -> lifecycle.tracker().inflight() == 1 && !shutdownDone.isDone());

        CompletableFuture.runAsync(() -> {
            try {
                TestApp.write((HttpServletResponse) async.getResponse(), "async");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            async.complete();
        }).get(WAIT.toSeconds(), SECONDS);
        Response response = client.read();
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("async");
        await().atMost(WAIT).until(shutdownDone::isDone);
        assertThat(lifecycle.tracker().inflight()).isZero();
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    @Test
    void asyncRequestThatTimesOutIsReleased() throws Exception {
        serve(Lifecycle.builder());
        lifecycle.start();
        try (RawHttpConnection client = connect()) {
            client.request("GET", "/app/async-timeout");
            assertThat(app.asyncRequests.poll(WAIT.toSeconds(), SECONDS)).isNotNull();
            assertThat(client.read().status()).isEqualTo(500);
        }
        await().atMost(WAIT).until(() -> lifecycle.tracker().inflight() == 0);
    }

    @Test
    void requestsWhoseClientDisconnectedAreReleasedWhenTheyEnd() throws Exception {
        serve(Lifecycle.builder());
        lifecycle.start();
        RawHttpConnection slowClient = connect();
        slowClient.request("GET", "/app/slow");
        RawHttpConnection asyncClient = connect();
        asyncClient.request("GET", "/app/async");
        assertThat(app.slowEntered.await(WAIT.toSeconds(), SECONDS)).isTrue();
        AsyncContext async = app.asyncRequests.poll(WAIT.toSeconds(), SECONDS);
        assertThat(async).isNotNull();
        assertThat(lifecycle.tracker().inflight()).isEqualTo(2);

        slowClient.close();
        asyncClient.close();
        app.slowRelease.countDown();
        CompletableFuture.runAsync(() -> {
            // A container that noticed the closed connection may refuse either call: it ends the cycle itself.
            try {
                TestApp.write((HttpServletResponse) async.getResponse(), "too late");
            } catch (IOException | IllegalStateException clientGone) {
                // ignored, see above
            }
            try {
                async.complete();
            } catch (IllegalStateException alreadyEnded) {
                // ignored, see above
            }
        }).get(WAIT.toSeconds(), SECONDS);
        await().atMost(WAIT).until(() -> lifecycle.tracker().inflight() == 0);
    }

    @Test
    void exceptionInTheApplicationReleasesItsCount() throws Exception {
        serve(Lifecycle.builder());
        lifecycle.start();
        assertThat(get("/app/fail").status()).isEqualTo(500);
        await().atMost(WAIT).until(() -> lifecycle.tracker().inflight() == 0);
        assertThat(get("/app/hello").status()).isEqualTo(200);
        await().atMost(WAIT).until(() -> lifecycle.tracker().inflight() == 0);
    }

    @Test
    void probesAnswerWhileStartingAndOnceReadyWhileAppRequestsWaitForReady() throws Exception {
        serve(Lifecycle.builder().startupTask(StartupTask.of("migrations", startupRelease::await)));
        CompletableFuture<Void> started = background.start("start", lifecycle::start);
        await().atMost(WAIT).until(() -> lifecycle.health(Probe.STARTUP).tasks().get(0).status()
                                         == TaskStatus.RUNNING);

        assertProbe("/health/live", 200, "{\"status\":\"UP\",\"state\":\"STARTING\"");
        assertProbe("/health/ready", 503, "{\"status\":\"DOWN\",\"state\":\"STARTING\"");
        assertProbe("/health/started", 503, "\"tasks\":[{\"name\":\"migrations\",\"status\":\"RUNNING\"");
        try (RawHttpConnection client = connect()) {
            Response refused = client.exchange("GET", "/app/hello");
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isEqualTo("1");
            assertThat(refused.closesConnection()).isTrue();
            assertThat(refused.body()).isEqualTo("Service Unavailable: starting\n");
            assertThat(client.isClosedByServer()).isTrue();
        }
        assertThat(app.calls).hasValue(0);

        startupRelease.countDown();
        assertThat(started).succeedsWithin(WAIT);
        assertThat(lifecycle.state()).isEqualTo(State.READY);
        assertProbe("/health/live", 200, "{\"status\":\"UP\",\"state\":\"READY\"");
        assertProbe("/health/ready", 200, "{\"status\":\"UP\",\"state\":\"READY\"");
        assertProbe("/health/started", 200, "\"tasks\":[{\"name\":\"migrations\",\"status\":\"SUCCEEDED\"");
        assertThat(get("/app/hello").body()).isEqualTo("hello");
        assertThat(lifecycle.tracker().refused()).isEqualTo(1);
    }

    @Test
    void probesAnswerWhileDrainingAndAreNeverCounted() throws Exception {
        serve(Lifecycle.builder().preStopDelay(Duration.ofMinutes(5)));
        lifecycle.start();
        shutdownInBackground();
        await().atMost(WAIT).until(() -> lifecycle.state() == State.DRAINING);

        assertProbe("/health/live", 200, "{\"status\":\"UP\",\"state\":\"DRAINING\",\"inflight\":0");
        assertProbe("/health/ready", 503, "{\"status\":\"DOWN\",\"state\":\"DRAINING\",\"inflight\":0");
        assertProbe("/health/started", 200, "{\"status\":\"UP\",\"state\":\"DRAINING\",\"inflight\":0");
        assertThat(get("/health/live").closesConnection()).as("as every response while draining").isTrue();
    }

    @Test
    void probesAnswerAfterStartupFailedAndShowErrorsOnlyWithDetails() throws Exception {
        StartupTask failing = StartupTask.of("migrations", () -> {
            throw new IllegalStateException("password hunter2 rejected");
        });
        serve(Lifecycle.builder().startupTask(failing), (context, lc) -> {
            FilterRegistration.Dynamic filter = context.addFilter(
                    "lifecycle", LifecycleFilter.builder(lc).excludePaths("/health/*", "/details/*").build());
            filter.setAsyncSupported(true);
            filter.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
            context.addServlet("health", new HealthServlet(lc)).addMapping("/health/*");
            context.addServlet("details", HealthServlet.builder(lc)
                                                       .livenessPath("/details/live")
                                                       .readinessPath("/details/ready")
                                                       .startupPath("/details/started")
                                                       .showDetails(true)
                                                       .build())
                   .addMapping("/details/*");
        });
        assertThatThrownBy(lifecycle::start).isInstanceOf(StartupException.class);
        assertThat(lifecycle.state()).isEqualTo(State.FAILED);

        for (String probe : List.of("live", "ready", "started")) {
            Response plain = assertProbe("/health/" + probe, 503, "{\"status\":\"DOWN\",\"state\":\"FAILED\"");
            assertThat(plain.body()).contains("\"name\":\"migrations\",\"status\":\"FAILED\"")
                                    .doesNotContain("hunter2");
            Response detailed = assertProbe("/details/" + probe, 503, "{\"status\":\"DOWN\",\"state\":\"FAILED\"");
            assertThat(detailed.body()).contains("hunter2");
        }
        Response refused = get("/app/hello");
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.body()).isEqualTo("Service Unavailable: startup failed\n");
        assertThat(app.calls).hasValue(0);
    }

    @Test
    void filterAndServletDeclaredByClassTakeTheLifecycleFromTheServletContext() throws Exception {
        serve(Lifecycle.builder(), (context, lc) -> {
            // What web.xml declarations amount to: the container creates both by class name.
            context.setAttribute(LifecycleServlets.LIFECYCLE_ATTRIBUTE, lc);
            FilterRegistration.Dynamic filter = context.addFilter("lifecycle", LifecycleFilter.class);
            filter.setInitParameter("excludePaths", "/probes/*");
            filter.setAsyncSupported(true);
            filter.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
            ServletRegistration.Dynamic health = context.addServlet("health", HealthServlet.class);
            health.setInitParameter("livenessPath", "/probes/live");
            health.setInitParameter("readinessPath", "/probes/ready");
            health.setInitParameter("startupPath", "/probes/started");
            health.addMapping("/probes/*");
        });

        assertProbe("/probes/live", 200, "{\"status\":\"UP\",\"state\":\"STARTING\"");
        assertProbe("/probes/ready", 503, "{\"status\":\"DOWN\",\"state\":\"STARTING\"");
        assertThat(get("/app/hello").status()).isEqualTo(503);
        lifecycle.start();
        assertProbe("/probes/ready", 200, "{\"status\":\"UP\",\"state\":\"READY\"");
        assertProbe("/probes/started", 200, "{\"status\":\"UP\",\"state\":\"READY\"");
        assertThat(get("/app/hello").body()).isEqualTo("hello");
        assertThat(get("/health/live").status()).as("default paths are not served").isEqualTo(404);
    }

    // Proves (issue 11, defect 9): probe paths set on the HealthServlet alone are neither counted nor refused; the
    // filter learns its mappings. Before the fix the default filter refused /probes/live with 503 while starting.
    @Test
    void probePathsSetOnlyOnTheHealthServletAreNeitherCountedNorRefused() throws Exception {
        serve(Lifecycle.builder(), (context, lc) -> {
            FilterRegistration.Dynamic filter = context.addFilter("lifecycle", new LifecycleFilter(lc));
            filter.setAsyncSupported(true);
            filter.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
            context.addServlet("health", HealthServlet.builder(lc)
                                                      .livenessPath("/probes/live")
                                                      .readinessPath("/probes/ready")
                                                      .startupPath("/probes/started")
                                                      .build())
                   .addMapping("/probes/*");
        });

        assertProbe("/probes/live", 200, "{\"status\":\"UP\",\"state\":\"STARTING\"");
        assertProbe("/probes/ready", 503, "{\"status\":\"DOWN\",\"state\":\"STARTING\"");
        assertThat(get("/app/hello").status()).as("the application is still refused").isEqualTo(503);
        lifecycle.start();
        assertProbe("/probes/ready", 200, "{\"status\":\"UP\",\"state\":\"READY\"");
        assertThat(lifecycle.tracker().refused()).as("only /app/hello").isEqualTo(1);
    }

    @Test
    void headAnswersWithoutBodyAndOtherMethodsGet405() throws Exception {
        serve(Lifecycle.builder());
        lifecycle.start();
        try (RawHttpConnection client = connect()) {
            Response head = client.exchange("HEAD", "/health/ready");
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Type")).startsWith("application/json");
            assertThat(head.header("Cache-Control")).isEqualTo("no-store");
            // Read on the same connection: a body sent after the HEAD response would garble this one.
            Response get = client.exchange("GET", "/health/ready");
            assertThat(get.status()).isEqualTo(200);
            assertThat(get.body()).startsWith("{\"status\":\"UP\",\"state\":\"READY\"");
            assertThat(head.header("Content-Length")).isEqualTo(get.header("Content-Length"));

            Response post = client.exchange("POST", "/health/ready");
            assertThat(post.status()).isEqualTo(405);
            assertThat(post.header("Allow")).isEqualTo("GET, HEAD");
            Response delete = client.exchange("DELETE", "/health/live");
            assertThat(delete.status()).isEqualTo(405);
            assertThat(client.exchange("GET", "/health/unknown").status()).isEqualTo(404);
        }
    }

    @Test
    void drainTimeoutWarningNamesTheStuckRequestWithoutItsQueryString() throws Exception {
        serve(Lifecycle.builder().drainTimeout(Duration.ofMillis(200)));
        lifecycle.start();
        RawHttpConnection slow = connect();
        slow.request("GET", "/app/slow?token=secret-123");
        assertThat(app.slowEntered.await(WAIT.toSeconds(), SECONDS)).isTrue();

        try (LogCapture logs = new LogCapture()) {
            lifecycle.shutdown();
            assertThat(logs.text()).contains("Drain timed out")
                                   .contains("oldest: GET /app/slow (age ")
                                   .doesNotContain("secret-123");
        }
        app.slowRelease.countDown();
        assertThat(slow.read().status()).isEqualTo(200);
    }

    // Proves: a client that disconnects mid-response (a flushed, streamed body) releases its count; the drain ends.
    @Test
    void clientThatDisconnectsMidResponseReleasesItsCountAndTheDrainIsNotBlocked() throws Exception {
        serve(Lifecycle.builder().drainTimeout(Duration.ofMinutes(1)));
        lifecycle.start();
        RawHttpConnection client = connect();
        client.request("GET", "/app/stream");
        assertThat(client.readHead().status()).as("the response has begun").isEqualTo(200);
        assertThat(app.streamEntered.await(WAIT.toSeconds(), SECONDS)).isTrue();
        shutdownInBackground();
        await().atMost(WAIT).until(lifecycle.tracker()::isDraining);
        assertThat(lifecycle.tracker().inflight()).isEqualTo(1);

        try (LogCapture logs = new LogCapture()) {
            client.close();
            app.streamRelease.countDown();

            assertThat(app.streamEnd).succeedsWithin(WAIT).as("a write failed: the client was gone mid-response")
                                     .isInstanceOf(IOException.class);
            await().atMost(WAIT).until(shutdownDone::isDone);
            assertThat(logs.text()).contains("Drained in").doesNotContain("Drain timed out");
        }
        assertThat(lifecycle.tracker().inflight()).isZero();
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    // Proves (issue 11, defect 2): a request counts until its response has been written, not until the application
    // returns. The application leaves 8 MiB in the container's buffer; a slow client reads it across a shutdown.
    // Before the fix the drain ended at once and the server's stop cut the response.
    @ParameterizedTest
    @ValueSource(strings = {"/app/big", "/app/big-async", "/app/big-async-early", "/app/big-dispatch",
                            "/app/big-dispatch-twice"})
    void bigResponseReadByASlowClientArrivesWholeAcrossAShutdown(String target) throws Exception {
        serve(Lifecycle.builder().drainTimeout(Duration.ofMinutes(1)));
        lifecycle.addStopAction("http server", this::stopServer);
        lifecycle.start();
        RawHttpConnection client = new RawHttpConnection(server.port(), 16 * 1024);
        connections.add(client);
        client.request("GET", target);
        Response head = client.readHead();
        assertThat(head.status()).isEqualTo(200);

        shutdownInBackground();
        // Either the drain waits for the unwritten response, or (the defect) it has ended and the server stopped.
        await().atMost(WAIT).until(() -> shutdownDone.isDone()
                                         || lifecycle.tracker().isDraining() && lifecycle.tracker().inflight() == 1);
        Response response = client.readBody(head, false);
        assertThat(response.body().length()).isEqualTo(TestApp.BIG_SIZE);
        assertThat(response.body()).isEqualTo(new String(TestApp.bigBody(), StandardCharsets.US_ASCII));
        await().atMost(WAIT).until(shutdownDone::isDone);
        assertThat(lifecycle.tracker().inflight()).isZero();
    }

    // Proves (issue 11, defect 3), deterministically: the application hands complete() to another thread and waits
    // for it to return before its dispatch returns (/app/big-async-early); the request stays counted until the last
    // byte of its 8 MiB response has been read, then is released exactly once (a slow request beside it keeps the
    // count at 1, never 0). With the filter's old logic (after the chain returned: isAsyncStarted() ? listener :
    // exit) Undertow had already cleared isAsyncStarted(), so the count dropped with the response still unwritten.
    //
    // Proves (issue 11, AsyncContext.dispatch()) the same for a request re-dispatched after startAsync(): counted
    // until the last byte of the final dispatch's response, once (/app/big-dispatch from another thread,
    // /app/big-dispatch-twice through a second startAsync() in the first async dispatch).
    @ParameterizedTest
    @ValueSource(strings = {"/app/big-async-early", "/app/big-dispatch", "/app/big-dispatch-twice"})
    void asyncRequestCountsUntilTheLastByteOfItsFinalResponseAndIsReleasedOnce(String target) throws Exception {
        serve(Lifecycle.builder());
        lifecycle.start();
        RawHttpConnection slow = connect();
        slow.request("GET", "/app/slow");
        assertThat(app.slowEntered.await(WAIT.toSeconds(), SECONDS)).isTrue();
        RawHttpConnection client = new RawHttpConnection(server.port(), 16 * 1024);
        connections.add(client);
        client.request("GET", target);
        Response head = client.readHead();
        assertThat(head.status()).isEqualTo(200);

        // The client reads nothing more: the response cannot have been written whole.
        await().during(Duration.ofMillis(300)).atMost(WAIT).untilAsserted(
                () -> assertThat(lifecycle.tracker().inflight()).as("counted while unwritten").isEqualTo(2));
        Response response = client.readBody(head, false);
        assertThat(response.body().length()).isEqualTo(TestApp.BIG_SIZE);
        await().atMost(WAIT).until(() -> lifecycle.tracker().inflight() == 1);
        await().during(Duration.ofMillis(200)).atMost(WAIT).untilAsserted(
                () -> assertThat(lifecycle.tracker().inflight()).as("released once").isEqualTo(1));

        app.slowRelease.countDown();
        assertThat(slow.read().status()).isEqualTo(200);
        await().atMost(WAIT).until(() -> lifecycle.tracker().inflight() == 0);
    }

    // Proves (issue 11, defect 3): an AsyncContext completed by another thread while the dispatch that started it is
    // still returning is counted until it ends, on every container. Before the fix, on Undertow, the filter saw
    // isAsyncStarted() already false (released the count before the response was written) or getAsyncContext() threw
    // out of the filter.
    @Test
    void asyncCompletedByAnotherThreadRacingTheDispatchIsCountedOnceUntilItEnds() throws Exception {
        serve(Lifecycle.builder().describeRequests(false));
        lifecycle.start();
        int clients = 4;
        int requestsPerClient = 500;
        ExecutorService threads = Executors.newFixedThreadPool(clients);
        try (LogCapture logs = new LogCapture()) {
            List<CompletableFuture<Void>> runs = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                runs.add(CompletableFuture.runAsync(() -> {
                    try {
                        RawHttpConnection connection = new RawHttpConnection(server.port());
                        for (int i = 0; i < requestsPerClient; i++) {
                            Response response = connection.exchange("GET", "/app/race");
                            assertThat(response.status()).as("request %d", i).isEqualTo(200);
                            assertThat(response.body()).isEqualTo("race");
                            if (response.closesConnection()) { // Tomcat: at most 100 requests per connection
                                connection.close();
                                connection = new RawHttpConnection(server.port());
                            }
                        }
                        connection.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, threads));
            }
            CompletableFuture.allOf(runs.toArray(new CompletableFuture<?>[0])).get(60, SECONDS);
            await().atMost(WAIT).until(() -> lifecycle.tracker().inflight() == 0);
            assertThat(logs.text()).doesNotContain("IllegalStateException");
        } finally {
            threads.shutdownNow();
        }
        assertThat(app.calls).hasValue(clients * requestsPerClient);
        // Nothing counted twice nor lost: a drain now ends at once.
        lifecycle.shutdown();
        assertThat(lifecycle.tracker().inflight()).isZero();
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    // Proves (issue 11, defect 8): servlet code marks its request long-lived; when the drain begins the stream is told
    // to end and the client gets a last event instead of being cut at the drain timeout.
    @Test
    void eventStreamMarkedLongLivedEndsWithALastEventWhenTheDrainBegins() throws Exception {
        serve(Lifecycle.builder().drainTimeout(Duration.ofMinutes(5)).longLivedDrainTimeout(Duration.ofMinutes(5)));
        lifecycle.start();
        RawHttpConnection client = connect();
        client.request("GET", "/app/events");
        Response head = client.readHead();
        assertThat(head.status()).isEqualTo(200);
        assertThat(app.eventsMarked).succeedsWithin(WAIT).isEqualTo(true);
        await().atMost(WAIT).until(() -> lifecycle.tracker().longLived() == 1);
        assertThat(lifecycle.tracker().inflight()).as("out of the main count").isZero();

        shutdownInBackground();
        Response stream = client.readBody(head, false);
        assertThat(stream.body()).isEqualTo("data: hello\n\nevent: reconnect\ndata: draining\n\n");
        // Far below both bounds (5 min): the stream ended when told, and the drain with it.
        await().atMost(WAIT).until(shutdownDone::isDone);
        assertThat(lifecycle.tracker().longLived()).isZero();
    }

    // Proves (issue 11, defect 8, upgrades): a request upgraded with request.upgrade() to the application's own
    // handler counts as long-lived until the upgraded connection ends; the application's drain listener (given with
    // markLongLived after upgrade()) tells the client when the drain begins; the drain ends when the client has
    // closed the connection, far below its bounds.
    @Test
    void upgradedConnectionCountsAsLongLivedUntilItEndsAndItsDrainListenerIsToldWhenTheDrainBegins() throws Exception {
        assumeTrue(container.switchesProtocolOnUpgrade(), "a raw upgrade works on this container");
        serve(Lifecycle.builder().drainTimeout(Duration.ofMinutes(5)).longLivedDrainTimeout(Duration.ofMinutes(5)));
        lifecycle.start();
        RawHttpConnection client = upgrade("/app/upgrade?hook");
        assertThat(app.upgradeMarked).succeedsWithin(WAIT).isEqualTo(true);
        await().atMost(WAIT).until(() -> lifecycle.tracker().longLived() == 1);
        assertThat(lifecycle.tracker().inflight()).as("out of the main count").isZero();

        shutdownInBackground();
        assertThat(client.readLine()).as("told by the drain listener").isEqualTo("bye");
        assertThat(shutdownDone).as("the connection is still open").isNotDone();
        assertThat(lifecycle.tracker().longLived()).isEqualTo(1);
        client.close();
        assertThat(app.upgrades.peek().destroyed).succeedsWithin(WAIT);
        await().atMost(WAIT).until(shutdownDone::isDone);
        assertThat(lifecycle.tracker().longLived()).isZero();
        assertThat(lifecycle.tracker().inflight()).isZero();
    }

    // Proves (issue 11, defect 8, upgrades): an upgraded connection the client ends is released when the container
    // destroys its handler, once; the count never outlives the connection.
    @Test
    void upgradedConnectionEndedByTheClientIsReleasedOnce() throws Exception {
        assumeTrue(container.switchesProtocolOnUpgrade(), "a raw upgrade works on this container");
        serve(Lifecycle.builder());
        lifecycle.start();
        RawHttpConnection slow = connect();
        slow.request("GET", "/app/slow");
        assertThat(app.slowEntered.await(WAIT.toSeconds(), SECONDS)).isTrue();
        RawHttpConnection client = upgrade("/app/upgrade");
        await().atMost(WAIT).until(() -> lifecycle.tracker().longLived() == 1);

        client.close();
        assertThat(app.upgrades.peek().destroyed).succeedsWithin(WAIT);
        await().atMost(WAIT).until(() -> lifecycle.tracker().longLived() == 0);
        assertThat(lifecycle.tracker().inflight()).as("the slow request alone").isEqualTo(1);
        app.slowRelease.countDown();
        assertThat(slow.read().status()).isEqualTo(200);
        await().atMost(WAIT).until(() -> lifecycle.tracker().inflight() == 0);
    }

    // Pins (issue 11, defect 8, WebSockets) what each container's own WebSocket does with the lifecycle, with the
    // JDK's WebSocket client: the handshake passes through the filter (a 101 the filter neither ends nor gives
    // Connection: close), also during the pre-stop delay, and the WebSocket connection is not counted once the
    // handshake is over, neither in flight nor long-lived: Tomcat's upgrade() goes through the filter's request
    // but to Tomcat's own handler, which cannot be wrapped; Jetty's switches the protocol without upgrade().
    @Test
    void webSocketHandshakeWorksDuringThePreStopDelayAndTheConnectionIsNotCounted() throws Exception {
        AtomicBoolean hasWebSocket = new AtomicBoolean();
        serve(Lifecycle.builder().preStopDelay(Duration.ofMinutes(5)), (context, lc) -> {
            LifecycleServlets.register(context, lc);
            hasWebSocket.set(container.addWebSocketEcho(context, "/ws"));
        });
        assumeTrue(hasWebSocket.get(), "the container's WebSocket set up");
        lifecycle.start();
        HttpClient client = HttpClient.newHttpClient();
        URI ws = URI.create("ws://127.0.0.1:" + server.port() + "/ws");
        EchoClient before = EchoClient.open(client, ws);
        assertThat(before.echo("before")).isEqualTo("before");
        await().atMost(WAIT).until(() -> lifecycle.tracker().inflight() == 0);
        assertThat(lifecycle.tracker().longLived()).isZero();

        shutdownInBackground();
        await().atMost(WAIT).until(() -> lifecycle.state() == State.DRAINING);
        EchoClient during = EchoClient.open(client, ws);
        assertThat(during.echo("during")).isEqualTo("during");
        assertThat(before.echo("still open")).isEqualTo("still open");
        assertThat(lifecycle.tracker().inflight()).isZero();
        assertThat(lifecycle.tracker().longLived()).isZero();
        before.socket.abort();
        during.socket.abort();
    }

    /** A JDK WebSocket client that waits for each echo. */
    private static final class EchoClient implements WebSocket.Listener {
        private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
        private final StringBuilder text = new StringBuilder();
        private WebSocket socket;

        static EchoClient open(HttpClient client, URI uri) throws Exception {
            EchoClient echo = new EchoClient();
            echo.socket = client.newWebSocketBuilder().buildAsync(uri, echo).get(WAIT.toSeconds(), SECONDS);
            return echo;
        }

        String echo(String message) throws Exception {
            socket.sendText(message, true).get(WAIT.toSeconds(), SECONDS);
            String answer = received.poll(WAIT.toSeconds(), SECONDS);
            assertThat(answer).as("echo of " + message).isNotNull();
            return answer;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                received.add(text.toString());
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }
    }

    /** Upgrades a new connection to the test application's echo protocol and checks that it echoes. */
    private RawHttpConnection upgrade(String target) throws IOException {
        RawHttpConnection client = connect();
        client.send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
        Response switched = client.readHead();
        assertThat(switched.status()).as("%s", switched).isEqualTo(101);
        assertThat(client.readLine()).as("after %s", switched).isEqualTo("ready");
        client.send("ping\n");
        assertThat(client.readLine()).isEqualTo("ping");
        return client;
    }

    // Proves (issue 12): a pooled keep-alive connection that sat idle through the pre-stop delay is closed by the
    // server (FIN) when the drain begins, with the container's integration, and the client's next requests, GETs and
    // POSTs, succeed on new connections while the drain runs; JDK HttpClient and Apache HttpClient 5.
    @ParameterizedTest
    @ValueSource(strings = {"jdk", "apache"})
    void pooledClientIdleThroughThePreStopDelayIsServedDuringTheDrain(String clientName) throws Exception {
        serveIntegrated(Lifecycle.builder().preStopDelay(Duration.ofMillis(200)).drainTimeout(Duration.ofMinutes(1)));
        lifecycle.start();
        try (PooledClient client = PooledClient.create(clientName, server.port())) {
            assertThat(client.get("/app/hello")).isEqualTo(new PooledClient.Result(200, "hello", false));
            assertThat(client.post("/app/echo", "before")).isEqualTo(new PooledClient.Result(200, "before", false));
            RawHttpConnection slow = connect(); // keeps the drain running
            slow.request("GET", "/app/slow");
            assertThat(app.slowEntered.await(WAIT.toSeconds(), SECONDS)).isTrue();

            shutdownInBackground();
            await().atMost(WAIT).until(lifecycle.tracker()::isDraining);
            // The pooled connection (the JDK client may have opened a second one for the POST), closed when the drain
            // began: by the listener that runs once the drain has begun.
            await().atMost(WAIT).until(() -> lifecycle.connections().closedIdleCount() >= 1);
            assertThat(lifecycle.connections().closedIdleCount()).isLessThanOrEqualTo(2);
            // A burst of GETs and POSTs from several threads, each answered, with Connection: close.
            ExecutorService threads = Executors.newFixedThreadPool(4);
            try {
                List<CompletableFuture<PooledClient.Result>> burst = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    String body = "post-" + i;
                    burst.add(CompletableFuture.supplyAsync(
                            () -> body.hashCode() % 2 == 0 ? client.get("/app/hello") : client.post("/app/echo", body),
                            threads));
                }
                for (int i = 0; i < burst.size(); i++) {
                    PooledClient.Result result = burst.get(i).get(WAIT.toSeconds(), SECONDS);
                    assertThat(result.status()).as("request %d", i).isEqualTo(200);
                    assertThat(result.body()).isIn("hello", "post-" + i);
                }
            } finally {
                threads.shutdownNow();
            }
            assertThat(lifecycle.tracker().refused()).isZero();
            assertThat(lifecycle.tracker().servedWhileDraining()).isEqualTo(40);
            assertThat(lifecycle.connections().closedAfterResponseCount()).isGreaterThanOrEqualTo(1);
            app.slowRelease.countDown();
            assertThat(slow.read().status()).isEqualTo(200);
            await().atMost(WAIT).until(shutdownDone::isDone);
        }
    }

    // Proves (issue 12, the case Quarkus found): the server closing each connection right after a Connection: close
    // response does not make the JDK client fail ("EOF reached while reading"), request after request, and without
    // the container integration the filter still applies the policy (served, not refused).
    @ParameterizedTest
    @ValueSource(strings = {"jdk", "apache"})
    void sequentialRequestsDuringTheDrainEachOnAClosedAfterResponseConnectionAllSucceed(String clientName)
            throws Exception {
        serve(Lifecycle.builder().drainTimeout(Duration.ofMinutes(1)));
        lifecycle.start();
        try (PooledClient client = PooledClient.create(clientName, server.port())) {
            assertThat(client.get("/app/hello").status()).isEqualTo(200);
            RawHttpConnection slow = connect();
            slow.request("GET", "/app/slow");
            assertThat(app.slowEntered.await(WAIT.toSeconds(), SECONDS)).isTrue();
            shutdownInBackground();
            await().atMost(WAIT).until(lifecycle.tracker()::isDraining);
            for (int i = 0; i < 50; i++) {
                PooledClient.Result result = i % 2 == 0 ? client.get("/app/hello") : client.post("/app/echo", "p" + i);
                assertThat(result.status()).as("request %d", i).isEqualTo(200);
                assertThat(result.closesConnection()).as("request %d", i).isTrue();
            }
            app.slowRelease.countDown();
            assertThat(slow.read().status()).isEqualTo(200);
            await().atMost(WAIT).until(shutdownDone::isDone);
        }
        assertThat(lifecycle.tracker().refused()).isZero();
    }

    // Measures (issue 12) the race HTTP/1.1 leaves: a client writing on an idle keep-alive connection just as the
    // server closes it when the drain begins. 300 idle connections each send a POST at a random instant within
    // +-20 ms of the drain's start; each ends served, seen closed before the write (a pooled client reconnects), or
    // failed (written, then closed without an answer). Opt-in: -Dlifecycle.raceWindow=true; prints the numbers.
    @Test
    @EnabledIfSystemProperty(named = "lifecycle.raceWindow", matches = "true")
    void idleCloseRaceWindow() throws Exception {
        serveIntegrated(Lifecycle.builder().drainTimeout(Duration.ofMinutes(1)));
        lifecycle.start();
        AtomicLong closeDone = new AtomicLong();
        lifecycle.tracker().onClose(() -> closeDone.set(System.nanoTime())); // runs after the integration's
        RawHttpConnection slow = connect();
        slow.request("GET", "/app/slow");
        assertThat(app.slowEntered.await(WAIT.toSeconds(), SECONDS)).isTrue();
        int count = 300;
        List<RawHttpConnection> idle = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            RawHttpConnection connection = connect();
            assertThat(connection.exchange("GET", "/app/hello").status()).isEqualTo(200);
            idle.add(connection);
        }
        long start = System.nanoTime() + Duration.ofMillis(300).toNanos();
        long spread = Duration.ofMillis(20).toNanos();
        Random random = new Random(42);
        long[] writeAt = new long[count];
        for (int i = 0; i < count; i++) {
            writeAt[i] = start - spread + (long) (random.nextDouble() * 2 * spread);
        }
        String[] outcome = new String[count];
        long[] wroteAt = new long[count];
        ExecutorService threads = Executors.newFixedThreadPool(8);
        List<CompletableFuture<Void>> clients = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int first = t;
            clients.add(CompletableFuture.runAsync(() -> {
                for (int i = first; i < count; i += 8) {
                    while (System.nanoTime() < writeAt[i]) {
                        Thread.onSpinWait();
                    }
                    RawHttpConnection connection = idle.get(i);
                    try {
                        if (connection.isClosedBeforeUse()) {
                            outcome[i] = "closedBeforeWrite";
                            continue;
                        }
                        wroteAt[i] = System.nanoTime();
                        connection.sendPost("/app/echo", "x");
                        outcome[i] = connection.read().status() == 200 ? "served" : "failed";
                    } catch (IOException e) {
                        outcome[i] = "failed";
                    }
                }
            }, threads));
        }
        while (System.nanoTime() < start) {
            Thread.onSpinWait();
        }
        long shutdownAt = System.nanoTime();
        shutdownInBackground();
        CompletableFuture.allOf(clients.toArray(new CompletableFuture<?>[0])).get(60, SECONDS);
        threads.shutdownNow();
        app.slowRelease.countDown();
        await().atMost(WAIT).until(shutdownDone::isDone);

        Map<String, Integer> counts = new TreeMap<>();
        double minFailed = Double.MAX_VALUE;
        double maxFailed = -Double.MAX_VALUE;
        for (int i = 0; i < count; i++) {
            counts.merge(outcome[i], 1, Integer::sum);
            if ("failed".equals(outcome[i])) {
                double ms = (wroteAt[i] - closeDone.get()) / 1e6;
                minFailed = Math.min(minFailed, ms);
                maxFailed = Math.max(maxFailed, ms);
            }
        }
        boolean failures = counts.containsKey("failed");
        System.out.printf("RACE %s: %s; idle closed %d, done %.2f ms after shutdown(); failed writes from %+.2f to "
                          + "%+.2f ms relative to the end of the close%n", container, counts,
                          lifecycle.connections().closedIdleCount(), (closeDone.get() - shutdownAt) / 1e6,
                          failures ? minFailed : 0.0, failures ? maxFailed : 0.0);
        assertThat(counts.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(count);
    }

    // Proves (issue 14, servlet containers over HTTP/2): with the container's integration, an HTTP/2 connection gets
    // a GOAWAY when the drain begins, and the JDK client sends its next request on a new connection, answered.
    // Without it the client kept its connection: HTTP/2 has no Connection: close.
    @Test
    void http2ClientGetsGoAwayWhenTheDrainBeginsAndMovesToANewConnection() throws Exception {
        assumeTrue(container.speaksH2c(), "h2c set up on this container");
        serveIntegrated(Lifecycle.builder().drainTimeout(Duration.ofMinutes(1)));
        lifecycle.start();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        URI port = URI.create("http://127.0.0.1:" + server.port() + "/app/port");
        HttpResponse<String> upgrade = client.send(HttpRequest.newBuilder(port).build(), BodyHandlers.ofString());
        HttpResponse<String> first = client.send(HttpRequest.newBuilder(port).build(), BodyHandlers.ofString());
        assertThat(first.version()).as("h2c").isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(first.body()).as("the same connection").isEqualTo(upgrade.body());
        RawHttpConnection slow = connect(); // keeps the drain running
        slow.request("GET", "/app/slow");
        assertThat(app.slowEntered.await(WAIT.toSeconds(), SECONDS)).isTrue();

        shutdownInBackground();
        await().atMost(WAIT).until(lifecycle.tracker()::isDraining);
        // The GOAWAY reaches the client asynchronously: until then a request may still use the old connection.
        await().atMost(WAIT).until(() -> {
            HttpResponse<String> next = client.send(HttpRequest.newBuilder(port).build(), BodyHandlers.ofString());
            assertThat(next.statusCode()).isEqualTo(200);
            return !next.body().equals(first.body());
        });
        app.slowRelease.countDown();
        assertThat(slow.read().status()).isEqualTo(200);
        await().atMost(WAIT).until(shutdownDone::isDone);
    }

    // Proves (issue 11, HTTP/2 local answers): during a REJECT_* drain, the refusal and a probe's answer on an HTTP/2
    // stream carry no Connection header, which HTTP/2 forbids (RFC 9113 8.2.2; JDK 25's HttpClient rejects such a
    // response as malformed). Before the fix the filter's refusal and the HealthServlet's answer set Connection: close
    // whatever the protocol (Tomcat sent it on h2c). Without the container integration: no GOAWAY, the HTTP/2
    // connection made before the drain carries both requests.
    @ParameterizedTest
    @EnumSource(value = DrainPolicy.class, names = {"REJECT_503", "REJECT_429"})
    void http2RefusalAndProbeDuringTheDrainCarryNoConnectionHeader(DrainPolicy policy) throws Exception {
        assumeTrue(container.speaksH2c(), "h2c set up on this container");
        serve(Lifecycle.builder().drainTimeout(Duration.ofMinutes(1)).drainPolicy(policy));
        lifecycle.start();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        URI base = URI.create("http://127.0.0.1:" + server.port());
        client.send(HttpRequest.newBuilder(base.resolve("/app/hello")).build(), BodyHandlers.ofString());
        HttpResponse<String> h2 = client.send(HttpRequest.newBuilder(base.resolve("/app/hello")).build(),
                                              BodyHandlers.ofString());
        assertThat(h2.version()).as("h2c").isEqualTo(HttpClient.Version.HTTP_2);
        RawHttpConnection slow = connect(); // keeps the drain running
        slow.request("GET", "/app/slow");
        assertThat(app.slowEntered.await(WAIT.toSeconds(), SECONDS)).isTrue();
        shutdownInBackground();
        await().atMost(WAIT).until(lifecycle.tracker()::isClosed);

        HttpResponse<String> refused = client.send(HttpRequest.newBuilder(base.resolve("/app/hello")).build(),
                                                   BodyHandlers.ofString());
        assertThat(refused.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(refused.statusCode()).isEqualTo(policy == DrainPolicy.REJECT_429 ? 429 : 503);
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        HttpResponse<String> probe = client.send(HttpRequest.newBuilder(base.resolve("/health/live")).build(),
                                                 BodyHandlers.ofString());
        assertThat(probe.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(probe.statusCode()).isEqualTo(200);
        assertSoftly(softly -> {
            softly.assertThat(refused.headers().map()).as("refusal").doesNotContainKey("connection");
            softly.assertThat(probe.headers().map()).as("probe").doesNotContainKey("connection");
        });
        assertThat(lifecycle.tracker().refused()).isEqualTo(1);

        app.slowRelease.countDown();
        assertThat(slow.read().status()).isEqualTo(200);
        await().atMost(WAIT).until(shutdownDone::isDone);
    }

    // Proves: a request that never finishes ends the drain at its bound, not at the default 20 s nor when the request
    // ends, and the WARN names it. No upper bound by wall clock: a slow machine may run late, never early.
    @Test
    void requestThatNeverFinishesEndsTheDrainAtItsBoundAndTheWarningNamesIt() throws Exception {
        Duration bound = Duration.ofMillis(500);
        serve(Lifecycle.builder().drainTimeout(bound));
        lifecycle.start();
        RawHttpConnection stuck = connect();
        stuck.request("GET", "/app/slow");
        assertThat(app.slowEntered.await(WAIT.toSeconds(), SECONDS)).isTrue();

        try (LogCapture logs = new LogCapture()) {
            // The default drain timeout (20 s) is twice WAIT: a bound left unused would fail here.
            assertThat(background.start("shutdown", lifecycle::shutdown)).succeedsWithin(WAIT);

            assertThat(lifecycle.drainDuration()).hasValueSatisfying(
                    drain -> assertThat(drain).isGreaterThanOrEqualTo(bound));
            assertThat(logs.text()).contains("WARN", "Drain timed out after ", "with 1 request(s) and 0 long-lived "
                                             + "request(s) still in flight; oldest: GET /app/slow (age ");
        }
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
        assertThat(lifecycle.tracker().inflight()).as("still running: the drain did not wait for it").isEqualTo(1);
    }

    // Proves: odd methods and a 64 KiB header on the probe paths get a 4xx, never a 500 or a stack trace; the server
    // keeps serving.
    @Test
    void probeRequestsWithOddMethodsOrAHugeHeaderGetAProperStatusAndTheServerKeepsServing() throws Exception {
        serve(Lifecycle.builder());
        lifecycle.start();
        for (String method : List.of("BREW", "PROPFIND", "M".repeat(100))) {
            for (String probe : List.of("/health/live", "/health/ready", "/health/started")) {
                Response response;
                try (RawHttpConnection client = connect()) {
                    response = client.exchange(method, probe);
                }
                assertThat(response.status()).as(method + " " + probe).isEqualTo(405);
                assertThat(response.header("Allow")).isEqualTo("GET, HEAD");
                assertThat(response.body()).isEmpty();
            }
        }

        Response huge;
        try (RawHttpConnection client = connect()) {
            client.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: " + "h".repeat(64 * 1024)
                           + "\r\n\r\n");
            huge = client.read();
        }
        assertThat(huge.status()).as("64 KiB header").isEqualTo(container.hugeHeaderStatus());
        assertThat(huge.body()).doesNotContain("Exception", "\tat ");

        assertProbe("/health/live", 200, "{\"status\":\"UP\",\"state\":\"READY\"");
        assertThat(get("/app/hello").body()).isEqualTo("hello");
        await().atMost(WAIT).until(() -> lifecycle.tracker().inflight() == 0); // exits once the last byte is written
        assertThat(app.calls).as("none of them reached the application").hasValue(1);
    }

    private void serve(LifecycleBuilder builder) throws Exception {
        serve(builder, LifecycleServlets::register);
    }

    private void serve(LifecycleBuilder builder, BiConsumer<ServletContext, Lifecycle> registration)
            throws Exception {
        serve(builder, registration, false);
    }

    /** Serves with the container's integration installed (idle connections closed when the drain begins). */
    private void serveIntegrated(LifecycleBuilder builder) throws Exception {
        serve(builder, LifecycleServlets::register, true);
    }

    private void serve(LifecycleBuilder builder, BiConsumer<ServletContext, Lifecycle> registration,
                       boolean integrated) throws Exception {
        Lifecycle built = builder.environment(Map.of()).terminationGracePeriod(Duration.ofHours(1)).build();
        lifecycle = built;
        server = container.start(context -> {
            registration.accept(context, built);
            ServletRegistration.Dynamic servlet = context.addServlet("app", app);
            servlet.setAsyncSupported(true);
            servlet.addMapping("/app/*");
        }, integrated ? built : null);
    }

    private void shutdownInBackground() {
        // Detached: the pre-stop delay keeps its bound even when interrupted, and some tests end inside a long one;
        // a test that needs the shutdown to end waits for shutdownDone.
        shutdownDone = background.startDetached("shutdown", lifecycle::shutdown);
    }

    private RawHttpConnection connect() throws IOException {
        RawHttpConnection connection = new RawHttpConnection(server.port());
        connections.add(connection);
        return connection;
    }

    private Response get(String target) throws IOException {
        try (RawHttpConnection connection = connect()) {
            return connection.exchange("GET", target);
        }
    }

    private Response assertProbe(String path, int status, String bodyPart) throws IOException {
        Response response = get(path);
        assertThat(response.status()).as(path).isEqualTo(status);
        assertThat(response.header("Content-Type")).as(path).startsWith("application/json");
        assertThat(response.header("Cache-Control")).as(path).isEqualTo("no-store");
        assertThat(response.body()).as(path).contains(bodyPart);
        return response;
    }
}
