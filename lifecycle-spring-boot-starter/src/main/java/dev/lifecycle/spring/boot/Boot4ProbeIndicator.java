package dev.lifecycle.spring.boot;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.Probe;

/** {@link Boot3ProbeIndicator} for Spring Boot 4, whose health types moved to {@code spring-boot-health}. */
final class Boot4ProbeIndicator implements HealthIndicator {

    private final Lifecycle lifecycle;
    private final Probe probe;

    Boot4ProbeIndicator(Lifecycle lifecycle, Probe probe) {
        this.lifecycle = lifecycle;
        this.probe = probe;
    }

    @Override
    public Health health() {
        dev.lifecycle.core.Health health = lifecycle.health(probe);
        return (health.isUp(probe) ? Health.up() : Health.down()).withDetails(ProbeDetails.of(health)).build();
    }
}
