package dev.lifecycle.core;

/**
 * A named check behind a probe, such as "the database hands out a valid connection". The lifecycle runs it on its
 * own threads, at most one run at a time, reuses its result for {@link LifecycleBuilder#healthCheckMaxAge(
 * java.time.Duration) a short time}, and reports it down when it has not returned within {@link
 * LifecycleBuilder#healthCheckTimeout(java.time.Duration) the timeout}, interrupting it: make it respond to
 * interrupts, and release what it takes ({@code try (Connection c = dataSource.getConnection()) { return
 * c.isValid(1); }}). Dependencies belong in readiness checks, never in liveness checks.
 */
@FunctionalInterface
public interface HealthCheck {

    /**
     * Returns {@code true} when healthy. Returning {@code false} or throwing reports the check as down; the exception
     * message is shown only when the probe endpoint is configured to show details.
     */
    boolean isHealthy() throws Exception;
}
