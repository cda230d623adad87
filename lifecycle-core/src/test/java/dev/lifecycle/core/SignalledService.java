package dev.lifecycle.core;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A service for {@link SignalTest}, run in a child JVM: {@code SignalledService ok|fail}, configured like a real
 * deployment through {@code LIFECYCLE_*} environment variables (the ready-file path among them). It installs the
 * shutdown hook, starts (with one startup task, failing with {@code fail}), prints {@value #READY_MARKER} and waits to
 * be signalled. A {@link StartupException} ends it with status 1, as a real service's main should.
 */
final class SignalledService {

    static final String READY_MARKER = "SignalledService is ready";

    private SignalledService() {
    }

    public static void main(String[] args) throws InterruptedException {
        boolean fail = args[0].equals("fail");
        Lifecycle lifecycle = Lifecycle.builder()
                .stopTimeout(Duration.ofSeconds(5))
                .shutdownHook(true)
                .startupTask(StartupTask.of("migrations", () -> {
                    if (fail) {
                        throw new IllegalStateException("V7__orders.sql: syntax error");
                    }
                }))
                .build();
        lifecycle.addStopAction("http server", () -> System.out.println("stop action 'http server' ran"));
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
}
