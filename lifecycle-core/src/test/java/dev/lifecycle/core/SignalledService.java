package dev.lifecycle.core;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A service for {@link SignalTest}, run in a child JVM: {@code SignalledService <startup> [stop-gated|stop-hangs]},
 * configured
 * like a real deployment through {@code LIFECYCLE_*} environment variables (the ready-file path among them). It
 * installs the shutdown hook, starts with one startup task, prints {@value #READY_MARKER} and waits to be signalled. A
 * {@link StartupException} ends it with status 1, as a real service's main should.
 *
 * <p>The startup task, by {@code <startup>}: {@code ok} succeeds; {@code fail} throws; {@code hang} never ends, deaf
 * to interrupts, with a timeout of {@value #HANG_TIMEOUT_MILLIS} ms; {@code gated} prints {@value #GATE_MARKER} and
 * waits for a line on standard input. With {@code stop-gated}, the stop action prints {@value #STOP_GATE_MARKER} and
 * waits for a line on standard input too, holding the shutdown sequence open while the test sends more signals; with
 * {@code stop-hangs}, it never ends, deaf to interrupts, and a second stop action, {@code database pool}, runs after
 * it.
 */
final class SignalledService {

    static final String READY_MARKER = "SignalledService is ready";
    static final String GATE_MARKER = "startup task waits for the test";
    static final String STOP_GATE_MARKER = "stop action waits for the test";
    static final long HANG_TIMEOUT_MILLIS = 500;

    /** Bounds every wait of the child, so that a broken test never leaves it running for long. */
    private static final long MAX_WAIT_SECONDS = 60;

    private SignalledService() {
    }

    public static void main(String[] args) throws InterruptedException {
        String startup = args[0];
        String stop = args.length > 1 ? args[1] : "";
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StartupTask task = StartupTask.of("migrations", () -> {
            switch (startup) {
                case "fail" -> throw new IllegalStateException("V7__orders.sql: syntax error");
                case "hang" -> hangDeafToInterrupts();
                case "gated" -> {
                    System.out.println(GATE_MARKER);
                    stdin.readLine();
                }
                default -> {
                }
            }
        });
        if (startup.equals("hang")) {
            task = task.timeout(Duration.ofMillis(HANG_TIMEOUT_MILLIS));
        }
        Lifecycle lifecycle = Lifecycle.builder()
                .stopTimeout(Duration.ofSeconds(5))
                .shutdownHook(true)
                .startupTask(task)
                .build();
        if (stop.equals("stop-hangs")) {
            lifecycle.addStopAction("database pool", () -> System.out.println("stop action 'database pool' ran"));
        }
        lifecycle.addStopAction("http server", () -> {
            if (stop.equals("stop-gated")) {
                System.out.println(STOP_GATE_MARKER);
                stdin.readLine();
            } else if (stop.equals("stop-hangs")) {
                hangDeafToInterrupts();
            }
            System.out.println("stop action 'http server' ran");
        });
        try {
            lifecycle.start();
        } catch (StartupException e) {
            System.out.println("Startup failed in task " + e.taskName() + ": " + e.getMessage());
            System.exit(1);
        }
        // One request in flight when the signal comes; it ends when told that admission closed.
        InflightRequest stream = lifecycle.tracker().tryEnter("GET", "/events");
        stream.markLongLived(stream::exit);
        System.out.println(READY_MARKER);
        new CountDownLatch(1).await(); // until SIGTERM: the shutdown hook runs the sequence, then the JVM exits
    }

    /** A task stuck in a call that ignores interrupts, such as a socket read without a timeout. */
    private static void hangDeafToInterrupts() {
        CountDownLatch never = new CountDownLatch(1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(MAX_WAIT_SECONDS);
        while (System.nanoTime() < deadline) {
            try {
                never.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException ignored) {
                // deliberately deaf
            }
        }
    }
}
