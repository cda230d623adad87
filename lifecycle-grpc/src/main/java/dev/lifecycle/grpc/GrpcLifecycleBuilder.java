package dev.lifecycle.grpc;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.Probe;

/**
 * Builds a {@link GrpcLifecycle}. Every setter checks its argument; {@link #build()} checks the rules between
 * settings and copies the state, so reusing a builder never changes a built instance.
 */
public final class GrpcLifecycleBuilder {

    final Lifecycle lifecycle;
    String readinessService = "";
    String livenessService = "liveness";
    String startupService = "startup";
    List<String> excludeServices = List.of();
    Duration watchInterval = Duration.ofSeconds(1);

    GrpcLifecycleBuilder(Lifecycle lifecycle) {
        this.lifecycle = requireNonNull(lifecycle, "lifecycle cannot be null");
    }

    /**
     * The health service name that answers the readiness probe. The default is {@code ""}, the name a client (and a
     * Kubernetes {@code grpc} probe without {@code service}) asks for the server as a whole.
     *
     * @throws NullPointerException if {@code readinessService} is {@code null}
     */
    public GrpcLifecycleBuilder readinessService(String readinessService) {
        this.readinessService = requireNonNull(readinessService, "readinessService cannot be null");
        return this;
    }

    /**
     * The health service name that answers the liveness probe: up while starting and draining, down when a liveness
     * check fails or startup failed. The default is {@code "liveness"}.
     *
     * @throws NullPointerException if {@code livenessService} is {@code null}
     */
    public GrpcLifecycleBuilder livenessService(String livenessService) {
        this.livenessService = requireNonNull(livenessService, "livenessService cannot be null");
        return this;
    }

    /**
     * The health service name that answers the startup probe. The default is {@code "startup"}.
     *
     * @throws NullPointerException if {@code startupService} is {@code null}
     */
    public GrpcLifecycleBuilder startupService(String startupService) {
        this.startupService = requireNonNull(startupService, "startupService cannot be null");
        return this;
    }

    /**
     * The fully qualified gRPC services (such as {@code grpc.reflection.v1.ServerReflection}) whose calls are passed
     * to the service uncounted and never refused, so that they answer while the service starts and drains. Replaces
     * the previous value. {@code grpc.health.v1.Health} is always excluded. The default is none.
     *
     * @throws NullPointerException if {@code services} or one of them is {@code null}
     * @throws IllegalArgumentException if one is blank
     */
    public GrpcLifecycleBuilder excludeServices(String... services) {
        requireNonNull(services, "services cannot be null");
        for (int i = 0; i < services.length; i++) {
            requireNonNull(services[i], "services[" + i + "] cannot be null");
            if (services[i].isBlank()) {
                throw new IllegalArgumentException("services[" + i + "]: '" + services[i]
                                                   + "' (expected: a fully qualified gRPC service name)");
            }
        }
        excludeServices = List.of(services);
        return this;
    }

    /**
     * How often the health service re-evaluates the statuses its {@code Watch} calls stream, while one is open: a
     * change (readiness down when the drain begins, a liveness check failing) reaches watchers within this interval.
     * {@code Check} always evaluates at once. The default is 1 second.
     *
     * @throws IllegalArgumentException if {@code watchInterval} is not positive
     */
    public GrpcLifecycleBuilder watchInterval(Duration watchInterval) {
        requireNonNull(watchInterval, "watchInterval cannot be null");
        if (watchInterval.isNegative() || watchInterval.isZero()) {
            throw new IllegalArgumentException("watchInterval: " + watchInterval + " (expected: > 0)");
        }
        this.watchInterval = watchInterval;
        return this;
    }

    /**
     * Returns a new instance with these settings.
     *
     * @throws IllegalArgumentException if two probes share a health service name
     */
    public GrpcLifecycle build() {
        healthServices(); // checks the names
        return new GrpcLifecycle(this);
    }

    /** The probe of each health service name. */
    Map<String, Probe> healthServices() {
        Map<String, Probe> services = new LinkedHashMap<>();
        services.put(readinessService, Probe.READINESS);
        putDistinct(services, "livenessService", livenessService, Probe.LIVENESS);
        putDistinct(services, "startupService", startupService, Probe.STARTUP);
        return services;
    }

    private static void putDistinct(Map<String, Probe> services, String setting, String name, Probe probe) {
        Probe previous = services.putIfAbsent(name, probe);
        if (previous != null) {
            throw new IllegalArgumentException(setting + ": '" + name + "' is already the " + settingOf(previous)
                                               + " (expected: a distinct health service name per probe)");
        }
    }

    private static String settingOf(Probe probe) {
        switch (probe) {
            case READINESS:
                return "readinessService";
            case LIVENESS:
                return "livenessService";
            default:
                return "startupService";
        }
    }
}
