package dev.lifecycle.core;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A named piece of work that must succeed before the service reports ready, such as database migrations. Immutable:
 * {@link #timeout(Duration)} and {@link #dependsOn(String...)} return a copy.
 *
 * <pre>{@code
 * StartupTask migrate = StartupTask.of("migrations", flyway::migrate).timeout(Duration.ofMinutes(5));
 * StartupTask warmup = StartupTask.of("cache-warmup", cache::load).dependsOn("migrations");
 * }</pre>
 *
 * <p>Tasks without a dependency between them run in parallel. A task is interrupted when it times out, when another
 * task fails, or when shutdown begins during startup; its body should let {@link InterruptedException} propagate.
 */
public final class StartupTask {

    /** The work of a startup task. */
    @FunctionalInterface
    public interface Body {
        /** Does the work; throwing fails the task and with it the startup. */
        void run() throws Exception;
    }

    private final String name;
    private final Body body;
    private final Duration timeout;
    private final List<String> dependencies;

    private StartupTask(String name, Body body, Duration timeout, List<String> dependencies) {
        this.name = name;
        this.body = body;
        this.timeout = timeout;
        this.dependencies = dependencies;
    }

    /**
     * Creates a task with no timeout and no dependencies.
     *
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public static StartupTask of(String name, Body body) {
        requireNonNull(name, "name cannot be null");
        requireNonNull(body, "body cannot be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("startupTask name: '" + name + "' (expected: not blank)");
        }
        return new StartupTask(name, body, null, List.of());
    }

    /**
     * Returns a copy that fails with a timeout when it runs longer than {@code timeout}. No timeout by default.
     *
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public StartupTask timeout(Duration timeout) {
        requireNonNull(timeout, "timeout cannot be null");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(
                    "startupTask '" + name + "' timeout: " + timeout + " (expected: > 0)");
        }
        return new StartupTask(name, body, timeout, dependencies);
    }

    /**
     * Returns a copy that runs only after the named tasks have succeeded. Unknown names and cycles are rejected by
     * {@link LifecycleBuilder#build()}.
     */
    public StartupTask dependsOn(String... taskNames) {
        List<String> all = new ArrayList<>(dependencies);
        for (String dependency : taskNames) {
            all.add(requireNonNull(dependency, "dependency cannot be null"));
        }
        return new StartupTask(name, body, timeout, Collections.unmodifiableList(all));
    }

    /** The task's name, unique within a lifecycle. */
    public String name() {
        return name;
    }

    /** The timeout, if one was set. */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    /** The names of the tasks this one waits for. */
    public List<String> dependencies() {
        return dependencies;
    }

    Body body() {
        return body;
    }

    @Override
    public String toString() {
        return "StartupTask[" + name + ']';
    }
}
