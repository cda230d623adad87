package dev.lifecycle.testing;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Runs what a test must not block on (a shutdown that waits for a drain, a start that waits for startup tasks) on
 * threads of its own, and cleans them up after the test. Open one per test and close it in {@code @AfterEach}, after
 * releasing whatever the threads wait for.
 *
 * <pre>{@code
 * private final BackgroundThreads background = new BackgroundThreads();
 *
 * @AfterEach
 * void stop() {
 *     background.close();
 * }
 *
 * @Test
 * void drainWaitsForTheSlowRequest() {
 *     CompletableFuture<Void> shutdown = background.start("shutdown", lifecycle::shutdown);
 *     await().until(tracker::isClosed);
 *     assertThat(shutdown).isNotDone();
 * }
 * }</pre>
 */
public final class BackgroundThreads implements AutoCloseable {

    /** How long {@link #close()} waits for each thread by default. */
    public static final Duration DEFAULT_JOIN_TIMEOUT = Duration.ofSeconds(20);

    private final Duration joinTimeout;
    private final List<Thread> threads = new ArrayList<>(); // guarded by threads

    /** Threads that {@link #close()} waits for up to {@link #DEFAULT_JOIN_TIMEOUT} each. */
    public BackgroundThreads() {
        this(DEFAULT_JOIN_TIMEOUT);
    }

    /**
     * Threads that {@link #close()} waits for up to {@code joinTimeout} each.
     *
     * @throws IllegalArgumentException if {@code joinTimeout} is not positive
     */
    public BackgroundThreads(Duration joinTimeout) {
        requireNonNull(joinTimeout, "joinTimeout cannot be null");
        if (joinTimeout.isNegative() || joinTimeout.isZero()) {
            throw new IllegalArgumentException("joinTimeout: " + joinTimeout + " (expected: > 0)");
        }
        this.joinTimeout = joinTimeout;
    }

    /**
     * Starts {@code action} on a new daemon thread named {@code test-<name>}.
     *
     * @return a future completed when {@code action} returns, or exceptionally with what it threw
     */
    public CompletableFuture<Void> start(String name, Runnable action) {
        requireNonNull(name, "name cannot be null");
        requireNonNull(action, "action cannot be null");
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread thread = new Thread(() -> run(action, done), "test-" + name);
        thread.setDaemon(true);
        synchronized (threads) {
            threads.add(thread);
        }
        thread.start();
        return done;
    }

    /**
     * Like {@link #start(String, Runnable)}, for a test that interrupts the thread itself: returns the thread (already
     * started), which {@link #close()} interrupts and waits for like the others.
     */
    public Thread startThread(String name, Runnable action) {
        requireNonNull(name, "name cannot be null");
        requireNonNull(action, "action cannot be null");
        Thread thread = new Thread(action, "test-" + name);
        thread.setDaemon(true);
        synchronized (threads) {
            threads.add(thread);
        }
        thread.start();
        return thread;
    }

    /**
     * Starts {@code action} on a new daemon thread named {@code test-<name>} that {@link #close()} neither interrupts
     * nor waits for: for an action that, by design, ends only with its bound or the JVM (a shutdown waiting out an
     * hour-long pre-stop delay, deaf to interrupts).
     *
     * @return a future completed when {@code action} returns, or exceptionally with what it threw
     */
    public CompletableFuture<Void> startDetached(String name, Runnable action) {
        requireNonNull(name, "name cannot be null");
        requireNonNull(action, "action cannot be null");
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread thread = new Thread(() -> run(action, done), "test-" + name);
        thread.setDaemon(true);
        thread.start();
        return done;
    }

    private static void run(Runnable action, CompletableFuture<Void> done) {
        try {
            action.run();
            done.complete(null);
        } catch (Throwable t) {
            done.completeExceptionally(t);
        }
    }

    /**
     * Interrupts the threads still running (the test is over: that cuts a pre-stop delay or a wait short) and waits
     * for each to end, up to the join timeout.
     *
     * @throws AssertionError naming the threads still running after the join timeout
     */
    @Override
    public void close() {
        List<Thread> started;
        synchronized (threads) {
            started = List.copyOf(threads);
            threads.clear();
        }
        List<String> stuck = new ArrayList<>();
        boolean interrupted = false;
        for (Thread thread : started) {
            thread.interrupt();
        }
        for (Thread thread : started) {
            try {
                thread.join(joinTimeout.toMillis());
            } catch (InterruptedException e) {
                interrupted = true;
            }
            if (thread.isAlive()) {
                stuck.add(thread.getName());
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (!stuck.isEmpty()) {
            throw new AssertionError("Still running " + joinTimeout.toMillis() + " ms after the test: " + stuck);
        }
    }
}
