package dev.lifecycle.core;

/** The three Kubernetes probes a {@link Lifecycle} answers. */
public enum Probe {
    /** {@code livenessProbe}: up unless a liveness check fails or startup failed; stays up while starting and draining. */
    LIVENESS,
    /** {@code readinessProbe}: up only while {@link State#READY} and every readiness check passes. */
    READINESS,
    /**
     * {@code startupProbe}: up once every startup task has succeeded and the service became ready, and from then on
     * (also while draining); never up when shutdown interrupted the startup.
     */
    STARTUP
}
