package dev.lifecycle.core;

/**
 * A named check run on each probe request, such as "the database pool hands out a valid connection". It must be fast
 * and bounded (for example {@code connection.isValid(1)}): a probe answers only when its checks have returned.
 */
@FunctionalInterface
public interface HealthCheck {

    /**
     * Returns {@code true} when healthy. Returning {@code false} or throwing reports the check as down; the exception
     * message is shown only when the probe endpoint is configured to show details.
     */
    boolean isHealthy() throws Exception;
}
