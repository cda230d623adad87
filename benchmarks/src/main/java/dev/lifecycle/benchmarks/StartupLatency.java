package dev.lifecycle.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.StartupTask;

/**
 * Startup: 4 independent tasks of 200 ms and a chain of 2 such tasks; readiness time against the critical path
 * (400 ms) and the sum (1200 ms), and the time from the end of the last task to {@code start()} returning with the
 * ready-file written. Usage: {@code java -cp benchmarks.jar dev.lifecycle.benchmarks.StartupLatency [runs]}.
 */
public final class StartupLatency {

    private static final long TASK_MILLIS = 200;

    private StartupLatency() {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Path directory = Files.createTempDirectory("startup-bench");
        long[] ready = new long[runs];
        long[] readyFileLag = new long[runs];
        for (int i = 0; i < runs; i++) {
            AtomicLong lastEnd = new AtomicLong();
            Path readyFile = directory.resolve("ready-" + i);
            Lifecycle lifecycle = Lifecycle.builder()
                    .environment(Map.of())
                    .readyFile(readyFile)
                    .startupTask(StartupTask.of("a", () -> work(lastEnd)))
                    .startupTask(StartupTask.of("b", () -> work(lastEnd)))
                    .startupTask(StartupTask.of("c", () -> work(lastEnd)))
                    .startupTask(StartupTask.of("d", () -> work(lastEnd)))
                    .startupTask(StartupTask.of("chain-1", () -> work(lastEnd)))
                    .startupTask(StartupTask.of("chain-2", () -> work(lastEnd)).dependsOn("chain-1"))
                    .build();
            long start = System.nanoTime();
            lifecycle.start();
            long end = System.nanoTime();
            if (!Files.exists(readyFile)) {
                throw new IllegalStateException("no ready-file after start()");
            }
            ready[i] = end - start;
            readyFileLag[i] = end - lastEnd.get();
            lifecycle.shutdown();
        }
        Percentiles readiness = new Percentiles(ready);
        System.out.println(Percentiles.header());
        System.out.println(readiness.row("start() to ready"));
        System.out.println(new Percentiles(readyFileLag).row("last task end to ready-file written"));
        System.out.printf(Locale.ROOT, "%nCritical path %d ms, sum %d ms: median readiness = %.3fx the critical path%n",
                          2 * TASK_MILLIS, 6 * TASK_MILLIS, readiness.millis(50) / (2 * TASK_MILLIS));
    }

    private static void work(AtomicLong lastEnd) throws InterruptedException {
        Thread.sleep(TASK_MILLIS); // the task's work
        lastEnd.accumulateAndGet(System.nanoTime(), Math::max);
    }
}
