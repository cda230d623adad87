package dev.lifecycle.zerodowntime;

/** What happens to the replicas during a run, the way Kubernetes would do it. */
public enum Scenario {
    /**
     * Each further revision replaces every replica, one at a time, with maxSurge 1 and maxUnavailable 0: start a new
     * one, wait until it is an endpoint, hold minReadySeconds, terminate the oldest.
     */
    ROLLING_UPDATE,
    /** The oldest replica is terminated and not replaced (the Deployment scaled down by one). */
    SCALE_DOWN,
    /**
     * A node drain: all replicas but one are terminated at the same moment, and as many replacements are started at
     * that moment, entering the endpoints when their probe passes.
     */
    NODE_DRAIN,
    /**
     * A container crash: the oldest replica is SIGKILLed, leaves the endpoints after the lag, and its container is
     * restarted in the same pod, reusing the ready-file's volume, where the stale ready-file of the killed process
     * still lies. The restarted container must enter the endpoints only once its own process is ready. Requests that
     * failed between the kill and the endpoint's removal are the crash's, reported apart and not violations.
     */
    CONTAINER_RESTART
}
