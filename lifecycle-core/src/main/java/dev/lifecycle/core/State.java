package dev.lifecycle.core;

/**
 * The phases of a {@link Lifecycle}: {@code STARTING -> READY -> DRAINING -> STOPPED}, with {@code FAILED} reachable
 * from {@code STARTING} when a startup task fails, and {@code STARTING -> DRAINING} when shutdown begins before the
 * service was ever ready.
 */
public enum State {
    /** Startup tasks are running or have not run yet. Liveness is up, readiness and startup are down. */
    STARTING,
    /** Every startup task succeeded: the service is ready and admits requests. */
    READY,
    /** Shutdown has begun: readiness is down, in-flight requests are finishing. Liveness stays up. */
    DRAINING,
    /** The shutdown sequence has finished. */
    STOPPED,
    /** A startup task failed or timed out: the service never becomes ready and should exit non-zero. */
    FAILED
}
