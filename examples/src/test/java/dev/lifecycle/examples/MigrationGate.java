package dev.lifecycle.examples;

import java.io.FileOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Holds the test migration {@code migrations/gated/V3__gated_test_migration.sql} open until the test opens the gate:
 * a named pipe at {@code <DATA_DIR>/users.migration-gate} that the migration reads. Opening a named pipe for reading
 * blocks until a writer opens it, so the migration is still running for as long as the test looks, whatever the
 * machine's speed; no sleep decides anything.
 */
final class MigrationGate {

    private final Path pipe;

    private MigrationGate(Path pipe) {
        this.pipe = pipe;
    }

    /** Creates {@code dataDirectory} and the named pipe in it (with {@code mkfifo}). */
    static MigrationGate create(Path dataDirectory) throws IOException, InterruptedException {
        Files.createDirectories(dataDirectory);
        Path pipe = dataDirectory.resolve("users.migration-gate");
        Process mkfifo = new ProcessBuilder("mkfifo", pipe.toString()).redirectErrorStream(true).start();
        if (!mkfifo.waitFor(10, TimeUnit.SECONDS) || mkfifo.exitValue() != 0) {
            mkfifo.destroyForcibly();
            throw new IOException("mkfifo " + pipe + " failed: " + new String(mkfifo.getInputStream().readAllBytes()));
        }
        return new MigrationGate(pipe);
    }

    /** The {@code FLYWAY_EXTRA_LOCATIONS} value that adds the gated migration. */
    static String location() throws URISyntaxException {
        return ExampleServiceLifecycleTest.testMigrations("gated");
    }

    /**
     * Lets the migration end: opens the pipe for writing and closes it, so its reader sees the end of the stream.
     * Waits, at most {@code timeout}, for the migration to open the pipe.
     */
    void open(Duration timeout) throws InterruptedException, TimeoutException {
        CompletableFuture<Void> opened = new CompletableFuture<>();
        // Its own daemon thread: if the migration never opens the pipe, the open below blocks for good.
        Thread opener = new Thread(() -> {
            try {
                new FileOutputStream(pipe.toFile()).close();
                opened.complete(null);
            } catch (IOException | RuntimeException e) {
                opened.completeExceptionally(e);
            }
        }, "migration-gate");
        opener.setDaemon(true);
        opener.start();
        try {
            opened.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Cannot open the migration gate " + pipe, e.getCause());
        }
    }
}
