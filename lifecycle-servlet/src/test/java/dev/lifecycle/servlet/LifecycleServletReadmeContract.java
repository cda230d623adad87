package dev.lifecycle.servlet;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.testing.BackgroundThreads;
import dev.lifecycle.testing.RawHttpConnection;
import dev.lifecycle.testing.RawHttpConnection.Response;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Promises of the README's {@code lifecycle-servlet} section that {@link LifecycleServletContract} does not cover,
 * each checked over real sockets on each container: the filter's place before the application's filters, async
 * requests re-dispatched or ended by an error, and the request after a streamed response during the drain.
 */
abstract class LifecycleServletReadmeContract {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final ServletContainer container;
    private final BackgroundThreads background = new BackgroundThreads(WAIT);
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch asyncStarted = new CountDownLatch(1);
    private final AtomicInteger applicationFilterCalls = new AtomicInteger();
    private final AtomicInteger countedWhenTheApplicationFilterRan = new AtomicInteger(-1);
    private Lifecycle lifecycle;
    private ServletContainer.Running server;

    LifecycleServletReadmeContract(ServletContainer container) {
        this.container = container;
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        background.close();
        if (server != null) {
            server.stop();
        }
    }

    /**
     * Serves, on {@code /app/*}: {@code hello}; {@code redispatch}, which starts async and, once the test releases
     * it, re-dispatches, and answers on the re-dispatch; {@code error}, which starts async and re-dispatches at once,
     * and throws on the re-dispatch; {@code stream}, which flushes a first chunk and, once released, a last one.
     * An application filter is mapped the way the filters of {@code web.xml} are (after the programmatic ones with
     * {@code isMatchAfter = false}) and registered before the lifecycle's.
     */
    private void serve() throws Exception {
        Lifecycle built = Lifecycle.builder().environment(Map.of()).drainTimeout(Duration.ofMinutes(1))
                                   .terminationGracePeriod(Duration.ofHours(1)).build();
        lifecycle = built;
        server = container.start(context -> {
            Filter applicationFilter = (request, response, chain) -> {
                applicationFilterCalls.incrementAndGet();
                countedWhenTheApplicationFilterRan.set((int) built.tracker().inflight());
                chain.doFilter(request, response);
            };
            var filter = context.addFilter("application", applicationFilter);
            filter.setAsyncSupported(true);
            filter.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/*");
            LifecycleServlets.register(context, built);
            var servlet = context.addServlet("app", new App());
            servlet.setAsyncSupported(true);
            servlet.addMapping("/app/*");
        });
    }

    private final class App extends HttpServlet {

        private static final long serialVersionUID = 1L;

        @Override
        protected void doGet(HttpServletRequest request, HttpServletResponse response)
                throws IOException, ServletException {
            String path = request.getPathInfo();
            boolean redispatched = request.getDispatcherType() == DispatcherType.ASYNC;
            switch (path) {
                case "/hello" -> write(response, "hello");
                case "/redispatch" -> {
                    if (redispatched) {
                        write(response, "redispatched");
                        return;
                    }
                    AsyncContext async = request.startAsync();
                    async.setTimeout(0);
                    asyncStarted.countDown();
                    background.start("redispatch", () -> {
                        awaitRelease();
                        async.dispatch();
                    });
                }
                case "/error" -> {
                    if (redispatched) {
                        throw new ServletException("failed on the re-dispatch");
                    }
                    AsyncContext async = request.startAsync();
                    async.setTimeout(0);
                    async.dispatch();
                }
                case "/stream" -> {
                    response.setContentType("text/plain");
                    response.getOutputStream().write("first,".getBytes(StandardCharsets.UTF_8));
                    response.flushBuffer(); // committed: headers are gone without Connection: close
                    asyncStarted.countDown();
                    awaitRelease();
                    response.getOutputStream().write("last".getBytes(StandardCharsets.UTF_8));
                }
                default -> response.sendError(404);
            }
        }

        private void awaitRelease() {
            try {
                if (!release.await(WAIT.toSeconds(), SECONDS)) {
                    throw new IllegalStateException("not released within " + WAIT);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        private static void write(HttpServletResponse response, String body) throws IOException {
            response.setContentType("text/plain");
            response.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
        }
    }

    private Response get(String target) throws IOException {
        try (RawHttpConnection connection = new RawHttpConnection(server.port())) {
            return connection.get(target);
        }
    }

    // README: "LifecycleFilter on /* (REQUEST dispatch, async supported, before the filters of web.xml)".
    @Test
    void lifecycleFilterRunsBeforeTheApplicationsFiltersAndRefusesWithoutCallingThem() throws Exception {
        serve();

        Response refused = get("/app/hello");
        assertThat(refused.status()).isEqualTo(503);
        assertThat(applicationFilterCalls).as("refused before the application's filter").hasValue(0);

        lifecycle.start();
        assertThat(get("/app/hello").body()).isEqualTo("hello");
        assertThat(applicationFilterCalls).hasValue(1);
        assertThat(countedWhenTheApplicationFilterRan).as("already counted by the lifecycle filter").hasValue(1);
    }

    // README: counted "for async requests until the AsyncContext completes" -- through a re-dispatch, counted once.
    @Test
    void asyncRequestReDispatchedStaysCountedOnceUntilTheReDispatchAnswersAndTheDrainWaitsForIt() throws Exception {
        serve();
        lifecycle.start();
        try (RawHttpConnection client = new RawHttpConnection(server.port())) {
            client.request("GET", "/app/redispatch");
            assertThat(asyncStarted.await(WAIT.toSeconds(), SECONDS)).isTrue();
            await().atMost(WAIT).until(() -> lifecycle.tracker().inflight() == 1);
            CompletableFuture<Void> shutdown = background.start("shutdown", lifecycle::shutdown);
            await().atMost(WAIT).until(lifecycle.tracker()::isDraining);
            assertThat(shutdown).as("the drain waits for the async request").isNotDone();

            release.countDown();

            Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("redispatched");
            assertThat(shutdown).succeedsWithin(WAIT);
        }
        assertThat(lifecycle.tracker().inflight()).as("counted out once, not twice").isZero();
        assertThat(applicationFilterCalls).as("REQUEST dispatch only: the re-dispatch is not filtered again")
                                          .hasValue(1);
    }

    // README: "also after a timeout or an error": an exception on the async re-dispatch ends the request with 500.
    @Test
    void asyncRequestEndedByAnErrorIsReleased() throws Exception {
        serve();
        lifecycle.start();

        Response response = get("/app/error");

        assertThat(response.status()).isEqualTo(500);
        await().atMost(WAIT).until(() -> lifecycle.tracker().inflight() == 0);
        assertThat(background.start("shutdown", lifecycle::shutdown)).succeedsWithin(WAIT);
    }

    // README (known limits): a streamed response admitted before the drain leaves its connection open, and "the next
    // request on it is refused with 503 + Connection: close once admission closes".
    @Test
    void nextRequestOnAStreamedResponsesConnectionIsRefusedWithConnectionClose() throws Exception {
        serve();
        lifecycle.start();
        try (RawHttpConnection client = new RawHttpConnection(server.port())) {
            client.request("GET", "/app/stream");
            Response head = client.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.closesConnection()).as("committed before the drain").isFalse();
            assertThat(asyncStarted.await(WAIT.toSeconds(), SECONDS)).isTrue();
            CompletableFuture<Void> shutdown = background.start("shutdown", lifecycle::shutdown);
            await().atMost(WAIT).until(lifecycle.tracker()::isDraining);

            release.countDown();
            StringBuilder body = new StringBuilder();
            for (String chunk; !(chunk = client.readChunk()).isEmpty(); ) {
                body.append(chunk);
            }
            assertThat(body).hasToString("first,last");

            Response next = client.get("/app/hello");
            assertThat(next.status()).isEqualTo(503);
            assertThat(next.closesConnection()).isTrue();
            assertThat(client.isClosedByServer()).isTrue();
            assertThat(shutdown).succeedsWithin(WAIT);
        }
        assertThat(applicationFilterCalls).as("the refused request never reached the application").hasValue(1);
    }
}
