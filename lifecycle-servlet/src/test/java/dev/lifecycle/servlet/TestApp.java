package dev.lifecycle.servlet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

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
    final transient CountDownLatch slowEntered = new CountDownLatch(1);
    final transient CountDownLatch slowRelease = new CountDownLatch(1);
    final transient BlockingQueue<AsyncContext> asyncRequests = new LinkedBlockingQueue<>();
    final transient CountDownLatch streamEntered = new CountDownLatch(1);
    final transient CountDownLatch streamRelease = new CountDownLatch(1);
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
            case "/slow":
                slowEntered.countDown();
                await(slowRelease, "slow");
                write(response, "slow");
                break;
            case "/stream":
                stream(response);
                break;
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
            case "/fail":
                throw new IllegalStateException("the application failed");
            default:
                response.sendError(HttpServletResponse.SC_NOT_FOUND);
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
