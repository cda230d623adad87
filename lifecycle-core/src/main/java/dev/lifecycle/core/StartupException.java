package dev.lifecycle.core;

/**
 * Thrown by {@link Lifecycle#start()} when a startup task failed or timed out, the ready-file could not be written,
 * or shutdown began before startup finished. The message names the task and the cause; a service should exit with a
 * non-zero status so that Kubernetes restarts the pod.
 */
public final class StartupException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String taskName;

    /** Creates an exception for the failure of the named task; {@code taskName} is {@code null} for other causes. */
    public StartupException(String message, String taskName, Throwable cause) {
        super(message, cause);
        this.taskName = taskName;
    }

    /** The name of the startup task that failed or timed out, or {@code null} when no task was at fault. */
    public String taskName() {
        return taskName;
    }
}
