package dev.lifecycle.core;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The settings of one {@link Lifecycle}, fixed at {@link LifecycleBuilder#build()}: the builder's values with the
 * environment overrides applied and the rules between them checked. Immutable, so reusing a builder never changes a
 * built lifecycle.
 *
 * @param readyFile the ready-file's path, or {@code null} for none
 * @param ticker the time the shutdown sequence's bounds are measured in; {@link Ticker#SYSTEM} but in tests
 */
record LifecycleConfig(Duration preStopDelay, Duration drainTimeout, Duration longLivedDrainTimeout,
                       Duration stopTimeout, Duration terminationGracePeriod, Duration retryAfter,
                       DrainPolicy drainPolicy, Duration drainQuietPeriod, Path readyFile, Duration readyFileRefreshInterval,
                       Duration healthCheckTimeout, Duration healthCheckMaxAge, boolean describeRequests, boolean shutdownHook, List<StartupTask> startupTasks,
                       Map<String, HealthCheck> livenessChecks, Map<String, HealthCheck> readinessChecks,
                       Ticker ticker) {

    LifecycleConfig {
        startupTasks = List.copyOf(startupTasks);
        livenessChecks = Collections.unmodifiableMap(new LinkedHashMap<>(livenessChecks));
        readinessChecks = Collections.unmodifiableMap(new LinkedHashMap<>(readinessChecks));
    }

    /** The longer of the two drain bounds: they run in parallel. */
    Duration longestDrain() {
        return drainTimeout.compareTo(longLivedDrainTimeout) >= 0 ? drainTimeout : longLivedDrainTimeout;
    }
}
