package dev.lifecycle.servlet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpUpgradeHandler;
import jakarta.servlet.http.WebConnection;

/**
 * The application behind the filter, mapped on {@code /app/*}; the test controls when its slow, streamed and async
 * requests end. One per test.
 */
final class TestApp extends HttpServlet {

    private static final long serialVersionUID = 1L;

    /** The longest a slow request waits for the test; a bound, never reached by a passing test. */
    private static final long MAX_WAIT_SECONDS = 30;
    /** Bounds a streamed response, 8 MiB: far more than the socket buffers hold, so a gone client is noticed. */
    private static final int STREAM_CHUNKS = 1024;

    final transient AtomicInteger calls = new AtomicInteger();
    /** Whether {@code /events} could mark its request long-lived. */
    final transient CompletableFuture<Boolean> eventsMarked = new CompletableFuture<>();
    /** Completes the {@code /race} requests and ends event streams; shut down by the test. */
    final transient ExecutorService completer = Executors.newFixedThreadPool(2);
    final transient CountDownLatch slowEntered = new CountDownLatch(1);
    final transient CountDownLatch slowRelease = new CountDownLatch(1);
    final transient BlockingQueue<AsyncContext> asyncRequests = new LinkedBlockingQueue<>();
    final transient CountDownLatch streamEntered = new CountDownLatch(1);
    /** The handlers of {@code /upgrade}, in order. */
    final transient BlockingQueue<EchoUpgrade> upgrades = new LinkedBlockingQueue<>();
    /** Whether {@code /upgrade?hook} could give its connection a drain listener. */
    final transient CompletableFuture<Boolean> upgradeMarked = new CompletableFuture<>();
    final transient CountDownLatch streamRelease = new CountDownLatch(1);
    final transient CountDownLatch flushEntered = new CountDownLatch(1);
    final transient CountDownLatch flushRelease = new CountDownLatch(1);
    /** The size of a big response, {@value}: far more than a slow client's socket buffers hold. */
    static final int BIG_SIZE = 8 << 20;

    /** How the streamed response ended: the write failure, or {@code null} when every chunk was written. */
    final transient CompletableFuture<IOException> streamEnd = new CompletableFuture<>();

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws IOException, ServletException {
        calls.incrementAndGet();
        String path = String.valueOf(request.getPathInfo());
        switch (path) {
            case "/hello":
                write(response, "hello");
                break;
            case "/port":
                // The client's port: which connection the request came on.
                write(response, Integer.toString(request.getRemotePort()));
                break;
            case "/echo":
                write(response, new String(request.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                break;
            case "/slow":
                slowEntered.countDown();
                await(slowRelease, "slow");
                write(response, "slow");
                break;
            case "/stream":
                stream(response);
                break;
            case "/flush": {
                // Waits for the test, then commits its response inside the chain, as ?via= says.
                flushEntered.countDown();
                String via = String.valueOf(request.getParameter("via"));
                String port = Integer.toString(request.getRemotePort());
                if (via.equals("async")) {
                    AsyncContext async = request.startAsync();
                    async.setTimeout(TimeUnit.SECONDS.toMillis(MAX_WAIT_SECONDS));
                    completer.execute(() -> {
                        try {
                            await(flushRelease, "flush");
                            commitInside((HttpServletResponse) async.getResponse(), "stream", port);
                        } catch (IOException | ServletException e) {
                            // the client has gone, or the test never released it: the container ends the request
                        }
                        async.complete();
                    });
                    break;
                }
                await(flushRelease, "flush");
                commitInside(response, via, port);
                break;
            }
            case "/async": {
                AsyncContext async = request.startAsync();
                async.setTimeout(TimeUnit.SECONDS.toMillis(MAX_WAIT_SECONDS));
                asyncRequests.add(async);
                break;
            }
            case "/async-timeout": {
                AsyncContext async = request.startAsync();
                async.setTimeout(200);
                asyncRequests.add(async);
                break;
            }
            case "/big":
                big(response);
                break;
            case "/big-async": {
                AsyncContext async = request.startAsync();
                async.setTimeout(TimeUnit.SECONDS.toMillis(MAX_WAIT_SECONDS));
                async.start(() -> {
                    try {
                        big((HttpServletResponse) async.getResponse());
                    } catch (IOException clientGone) {
                        // the container ends the request
                    }
                    async.complete();
                });
                break;
            }
            case "/race": {
                // complete() from another thread, racing the return of this dispatch
                // (not AsyncContext.start(): Undertow runs its task only once the dispatch has returned)
                // The dispatch returns as the other thread calls complete(): the filter's checks race the complete().
                AsyncContext async = request.startAsync();
                CountDownLatch completing = new CountDownLatch(1);
                completer.execute(() -> {
                    try {
                        write((HttpServletResponse) async.getResponse(), "race");
                    } catch (IOException clientGone) {
                        // the container ends the request
                    }
                    completing.countDown();
                    async.complete();
                });
                await(completing, "race");
                break;
            }
            case "/big-async-early": {
                // Completed by another thread before the dispatch that started async returns.
                AsyncContext async = request.startAsync();
                async.setTimeout(TimeUnit.SECONDS.toMillis(MAX_WAIT_SECONDS));
                CountDownLatch completed = new CountDownLatch(1);
                completer.execute(() -> {
                    try {
                        big((HttpServletResponse) async.getResponse());
                    } catch (IOException clientGone) {
                        // the container ends the request
                    }
                    async.complete();
                    completed.countDown();
                });
                await(completed, "big-async-early");
                break;
            }
            case "/big-dispatch": {
                // Re-dispatched from another thread to /big, whose dispatch writes the response: the final dispatch.
                AsyncContext async = request.startAsync();
                async.setTimeout(TimeUnit.SECONDS.toMillis(MAX_WAIT_SECONDS));
                completer.execute(() -> async.dispatch("/app/big"));
                break;
            }
            case "/big-dispatch-twice": {
                // Re-dispatched at once to /dispatch-again, which starts async again and re-dispatches to /big.
                AsyncContext async = request.startAsync();
                async.setTimeout(TimeUnit.SECONDS.toMillis(MAX_WAIT_SECONDS));
                async.dispatch("/app/dispatch-again");
                break;
            }
            case "/dispatch-again": {
                AsyncContext async = request.startAsync();
                async.setTimeout(TimeUnit.SECONDS.toMillis(MAX_WAIT_SECONDS));
                completer.execute(() -> async.dispatch("/app/big"));
                break;
            }
            case "/upgrade": {
                // A raw upgrade to the application's own protocol: lines echoed until the client closes.
                response.setStatus(HttpServletResponse.SC_SWITCHING_PROTOCOLS);
                response.setHeader("Connection", "Upgrade");
                response.setHeader("Upgrade", "echo");
                EchoUpgrade echo = request.upgrade(EchoUpgrade.class);
                if (request.getParameter("hook") != null) {
                    upgradeMarked.complete(LifecycleFilter.markLongLived(request, echo::sayBye));
                }
                upgrades.add(echo);
                break;
            }
            case "/events": {
                // A server-sent event stream, marked long-lived: told to end when the drain begins.
                response.setContentType("text/event-stream");
                ServletOutputStream out = response.getOutputStream();
                out.write("data: hello\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                AsyncContext async = request.startAsync();
                async.setTimeout(TimeUnit.SECONDS.toMillis(MAX_WAIT_SECONDS));
                eventsMarked.complete(LifecycleFilter.markLongLived(request, () -> completer.execute(() -> {
                    try {
                        out.write("event: reconnect\ndata: draining\n\n".getBytes(StandardCharsets.UTF_8));
                    } catch (IOException clientGone) {
                        // the container ends the request
                    }
                    async.complete();
                })));
                break;
            }
            case "/fail":
                throw new IllegalStateException("the application failed");
            default:
                response.sendError(HttpServletResponse.SC_NOT_FOUND);
        }
    }

    /**
     * The application's own upgrade protocol: echoes each line on a thread of its own, closes when the client does
     * or when told to by {@link #close()}. Public with a public constructor: the container instantiates it.
     */
    public static final class EchoUpgrade implements HttpUpgradeHandler {
        /** Completes when the container destroys the handler: the upgraded connection has ended. */
        final CompletableFuture<Void> destroyed = new CompletableFuture<>();
        private volatile WebConnection connection;

        public EchoUpgrade() {
        }

        @Override
        public void init(WebConnection webConnection) {
            connection = webConnection;
            try {
                // Non-blocking, as containers expect of an upgraded connection: Tomcat notices a close() only then.
                ServletInputStream in = webConnection.getInputStream();
                ServletOutputStream out = webConnection.getOutputStream();
                // Jetty switches the connection after the 101 is written: a client must wait for the new protocol.
                out.write("ready\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                in.setReadListener(new ReadListener() {
                    @Override
                    public void onDataAvailable() throws IOException {
                        byte[] buffer = new byte[1024];
                        while (in.isReady()) {
                            int read = in.read(buffer);
                            if (read < 0) {
                                return;
                            }
                            out.write(buffer, 0, read); // a line fits in the output buffer: ready again at once
                            out.flush();
                        }
                    }

                    @Override
                    public void onAllDataRead() {
                        close();
                    }

                    @Override
                    public void onError(Throwable failure) {
                        close();
                    }
                });
            } catch (IOException e) {
                close();
            }
        }

        /**
         * The application's drain listener: says {@code bye} so that the client closes, as a WebSocket close frame
         * does. (Tomcat notices an upgraded connection closed by a thread of the application only on its next event.)
         */
        void sayBye() {
            try {
                WebConnection open = connection;
                if (open != null) {
                    open.getOutputStream().write("bye\n".getBytes(StandardCharsets.UTF_8));
                    open.getOutputStream().flush();
                }
            } catch (IOException | IllegalStateException closed) {
                // the client has gone
            }
        }

        /** Closes the upgraded connection. */
        void close() {
            try {
                WebConnection open = connection;
                if (open != null) {
                    open.close();
                }
            } catch (Exception alreadyClosed) {
                // nothing more to end
            }
        }

        @Override
        public void destroy() {
            destroyed.complete(null);
        }
    }

    /**
     * Streams a long body: a first chunk, flushed (the response is committed), then, once the test releases it, up to
     * {@value #STREAM_CHUNKS} chunks of 8 KiB, each flushed, until a write fails because the client has gone.
     */
    private void stream(HttpServletResponse response) throws IOException, ServletException {
        response.setContentType("text/plain;charset=utf-8");
        ServletOutputStream out = response.getOutputStream();
        out.write("first\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        streamEntered.countDown();
        await(streamRelease, "stream");
        byte[] chunk = new byte[8192];
        Arrays.fill(chunk, (byte) 'x');
        try {
            for (int i = 0; i < STREAM_CHUNKS; i++) {
                out.write(chunk);
                out.flush();
            }
        } catch (IOException clientGone) {
            streamEnd.complete(clientGone);
            throw clientGone;
        }
        streamEnd.complete(null);
    }

    /**
     * Commits the response before the application returns, as Spring MVC's message converters (a flush after every
     * body), a servlet that flushes or a body larger than the buffer do. The body is the client's port.
     */
    private static void commitInside(HttpServletResponse response, String via, String port) throws IOException {
        response.setContentType("text/plain;charset=utf-8");
        switch (via) {
            case "stream":
                response.getOutputStream().write(port.getBytes(StandardCharsets.UTF_8));
                response.getOutputStream().flush();
                break;
            case "writer":
                response.getWriter().print(port);
                response.getWriter().flush();
                break;
            case "flushBuffer":
                response.getOutputStream().write(port.getBytes(StandardCharsets.UTF_8));
                response.flushBuffer();
                break;
            case "overflow": {
                // More than any container's default buffer, no flush: the container commits as the buffer fills.
                ServletOutputStream out = response.getOutputStream();
                byte[] padding = new byte[1024];
                Arrays.fill(padding, (byte) ' ');
                out.write(port.getBytes(StandardCharsets.UTF_8));
                for (int i = 0; i < 256; i++) {
                    out.write(padding);
                }
                break;
            }
            case "sendError":
                response.sendError(HttpServletResponse.SC_CONFLICT);
                break;
            case "sendRedirect":
                response.sendRedirect("/app/hello");
                break;
            default:
                throw new IllegalArgumentException("via: '" + via + "'");
        }
    }

    /**
     * Writes {@link #BIG_SIZE} bytes, {@link #bigBody()}, into a buffer as large: the whole response is still
     * unwritten when the application returns, as the tail of any buffered response is.
     */
    static void big(HttpServletResponse response) throws IOException {
        response.setBufferSize(BIG_SIZE + 8192); // a full buffer is flushed at once
        response.setContentType("application/octet-stream");
        // In small writes, as applications write: a container writes a single large one straight to the socket.
        byte[] body = bigBody();
        ServletOutputStream out = response.getOutputStream();
        for (int offset = 0; offset < body.length; offset += 1024) {
            out.write(body, offset, 1024);
        }
    }

    static byte[] bigBody() {
        byte[] body = new byte[BIG_SIZE];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) ('a' + i % 26);
        }
        return body;
    }

    private static void await(CountDownLatch release, String request) throws ServletException {
        try {
            if (!release.await(MAX_WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new ServletException("the test never released the " + request + " request");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServletException(e);
        }
    }

    /**
     * Writes a small body without a {@code Content-Length}, as most applications do: the response stays buffered,
     * uncommitted, until the request ends, so the filter can still add {@code Connection: close} then.
     */
    static void write(HttpServletResponse response, String body) throws IOException {
        response.setContentType("text/plain;charset=utf-8");
        response.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
    }
}
