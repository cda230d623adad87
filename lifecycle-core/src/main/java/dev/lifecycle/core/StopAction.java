package dev.lifecycle.core;

/**
 * An action run at the end of shutdown, after the drain: closing a server, a pool, a client. Stop actions run in the
 * reverse order of their registration, each bounded by {@link LifecycleBuilder#stopTimeout(java.time.Duration)}; one
 * that throws or hangs is logged and the next one still runs.
 */
@FunctionalInterface
public interface StopAction {

    /** Stops something. May throw; the exception is logged with the action's name. */
    void stop() throws Exception;
}
