package dev.lifecycle.servlet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The application behind the filter, mapped on {@code /app/*}; the test controls when its slow and async requests
 * end. One per test.
 */
final class TestApp extends HttpServlet {

    private static final long serialVersionUID = 1L;

    /** The longest a slow request waits for the test; a bound, never reached by a passing test. */
    private static final long MAX_WAIT_SECONDS = 30;

    final transient AtomicInteger calls = new AtomicInteger();
    final transient CountDownLatch slowEntered = new CountDownLatch(1);
    final transient CountDownLatch slowRelease = new CountDownLatch(1);
    final transient BlockingQueue<AsyncContext> asyncRequests = new LinkedBlockingQueue<>();

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
                try {
                    if (!slowRelease.await(MAX_WAIT_SECONDS, TimeUnit.SECONDS)) {
                        throw new ServletException("the test never released the slow request");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ServletException(e);
                }
                write(response, "slow");
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
     * Writes a small body without a {@code Content-Length}, as most applications do: the response stays buffered,
     * uncommitted, until the request ends, so the filter can still add {@code Connection: close} then.
     */
    static void write(HttpServletResponse response, String body) throws IOException {
        response.setContentType("text/plain;charset=utf-8");
        response.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
    }
}
