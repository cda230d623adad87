package dev.lifecycle.spring.boot;

import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.Probe;

/**
 * Spring Boot 3's Actuator {@code livenessState} or {@code readinessState} contributor, answered by the lifecycle:
 * its bean takes the name of Boot's own, so that the {@code liveness} and {@code readiness} groups use it.
 */
final class Boot3ProbeIndicator implements HealthIndicator {

    private final Lifecycle lifecycle;
    private final Probe probe;

    Boot3ProbeIndicator(Lifecycle lifecycle, Probe probe) {
        this.lifecycle = lifecycle;
        this.probe = probe;
    }

    @Override
    public Health health() {
        dev.lifecycle.core.Health health = lifecycle.health(probe);
        return (health.isUp(probe) ? Health.up() : Health.down()).withDetails(ProbeDetails.of(health)).build();
    }
}
