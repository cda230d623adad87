package dev.lifecycle.spring.boot;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

import dev.lifecycle.core.DrainPolicy;

/**
 * The {@code lifecycle.*} properties. Spring's relaxed binding applies, so the environment variables of
 * {@code lifecycle-core} keep working: {@code LIFECYCLE_PRESTOP_DELAY} binds to {@code lifecycle.prestop-delay},
 * {@code LIFECYCLE_DRAIN_TIMEOUT} to {@code lifecycle.drain-timeout}, and so on. Durations use Spring's syntax
 * ({@code 500ms}, {@code 5s}, {@code PT5S}; a bare number is milliseconds). Bad values fail the start with Spring's
 * binding report, which names the property, the value, its origin and the expectation.
 */
@ConfigurationProperties("lifecycle")
public class LifecycleProperties implements Validator {

    private boolean enabled = true;
    private Duration prestopDelay = Duration.ZERO;
    private Duration drainTimeout = Duration.ofSeconds(20);
    private Duration longLivedDrainTimeout = Duration.ofSeconds(5);
    private Duration stopTimeout = Duration.ofSeconds(5);
    private Duration terminationGracePeriod = Duration.ofSeconds(30);
    private Duration retryAfter = Duration.ofSeconds(1);
    private DrainPolicy drainPolicy = DrainPolicy.SERVE_AND_CLOSE;
    private Duration drainQuietPeriod = Duration.ZERO;
    private Path readyFile;
    private Duration readyFileRefreshInterval = Duration.ofSeconds(1);
    private Duration healthCheckTimeout = Duration.ofMillis(500);
    private Duration healthCheckMaxAge = Duration.ofSeconds(1);
    private boolean describeRequests = true;
    private List<String> excludePaths = new ArrayList<>();
    private Duration migrationTimeout;
    private final Probes probes = new Probes();

    /** Whether to auto-configure the lifecycle at all. The default is {@code true}. */
    public boolean isEnabled() {
        return enabled;
    }

    /** See {@link #isEnabled()}. */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** Readiness down, still serving, before admission closes. The default is {@code 0}. */
    public Duration getPrestopDelay() {
        return prestopDelay;
    }

    /** See {@link #getPrestopDelay()}. */
    public void setPrestopDelay(Duration prestopDelay) {
        this.prestopDelay = prestopDelay;
    }

    /** How long to wait for in-flight requests once admission closed. The default is 20 seconds. */
    public Duration getDrainTimeout() {
        return drainTimeout;
    }

    /** See {@link #getDrainTimeout()}. */
    public void setDrainTimeout(Duration drainTimeout) {
        this.drainTimeout = drainTimeout;
    }

    /** How long to wait for long-lived requests after they were told to end. The default is 5 seconds. */
    public Duration getLongLivedDrainTimeout() {
        return longLivedDrainTimeout;
    }

    /** See {@link #getLongLivedDrainTimeout()}. */
    public void setLongLivedDrainTimeout(Duration longLivedDrainTimeout) {
        this.longLivedDrainTimeout = longLivedDrainTimeout;
    }

    /** The bound on each stop action, and on interrupted startup tasks. The default is 5 seconds; must be > 0. */
    public Duration getStopTimeout() {
        return stopTimeout;
    }

    /** See {@link #getStopTimeout()}. */
    public void setStopTimeout(Duration stopTimeout) {
        this.stopTimeout = stopTimeout;
    }

    /** The pod's {@code terminationGracePeriodSeconds}, for the start-up WARN. The default is 30 seconds. */
    public Duration getTerminationGracePeriod() {
        return terminationGracePeriod;
    }

    /** See {@link #getTerminationGracePeriod()}. */
    public void setTerminationGracePeriod(Duration terminationGracePeriod) {
        this.terminationGracePeriod = terminationGracePeriod;
    }

    /** The {@code Retry-After} of refused requests. The default is 1 second. */
    public Duration getRetryAfter() {
        return retryAfter;
    }

    /** See {@link #getRetryAfter()}. */
    public void setRetryAfter(Duration retryAfter) {
        this.retryAfter = retryAfter;
    }

    /**
     * What requests reaching the service after the drain began get: {@code serve-and-close} (served, with
     * {@code Connection: close}), {@code reject-503} or {@code reject-429}. The default is {@code serve-and-close}.
     */
    public DrainPolicy getDrainPolicy() {
        return drainPolicy;
    }

    /** See {@link #getDrainPolicy()}. */
    public void setDrainPolicy(DrainPolicy drainPolicy) {
        this.drainPolicy = drainPolicy;
    }

    /**
     * Under {@code serve-and-close}: how long admission stays open once the drain found nothing in flight, so that a
     * request a pooled client wrote as its idle connection was closed is served instead of refused. The default is
     * {@code 0}.
     */
    public Duration getDrainQuietPeriod() {
        return drainQuietPeriod;
    }

    /** See {@link #getDrainQuietPeriod()}. */
    public void setDrainQuietPeriod(Duration drainQuietPeriod) {
        this.drainQuietPeriod = drainQuietPeriod;
    }

    /** How often the readiness checks refresh the ready-file while ready. The default is 1 second; must be > 0. */
    public Duration getReadyFileRefreshInterval() {
        return readyFileRefreshInterval;
    }

    /** See {@link #getReadyFileRefreshInterval()}. */
    public void setReadyFileRefreshInterval(Duration readyFileRefreshInterval) {
        this.readyFileRefreshInterval = readyFileRefreshInterval;
    }

    /** The bound on one run of a health check. The default is 500 ms; must be > 0. */
    public Duration getHealthCheckTimeout() {
        return healthCheckTimeout;
    }

    /** See {@link #getHealthCheckTimeout()}. */
    public void setHealthCheckTimeout(Duration healthCheckTimeout) {
        this.healthCheckTimeout = healthCheckTimeout;
    }

    /** How long a health check's result is reused; {@code 0} runs it for every probe. The default is 1 second. */
    public Duration getHealthCheckMaxAge() {
        return healthCheckMaxAge;
    }

    /** See {@link #getHealthCheckMaxAge()}. */
    public void setHealthCheckMaxAge(Duration healthCheckMaxAge) {
        this.healthCheckMaxAge = healthCheckMaxAge;
    }

    /** A file that exists exactly while ready, for {@code exec: cat} probes. None by default. */
    public Path getReadyFile() {
        return readyFile;
    }

    /** See {@link #getReadyFile()}. */
    public void setReadyFile(Path readyFile) {
        this.readyFile = readyFile;
    }

    /** Whether a drain timeout names the requests still in flight. The default is {@code true}. */
    public boolean isDescribeRequests() {
        return describeRequests;
    }

    /** See {@link #isDescribeRequests()}. */
    public void setDescribeRequests(boolean describeRequests) {
        this.describeRequests = describeRequests;
    }

    /**
     * More paths that the filter neither counts nor refuses (exact, or a prefix ending in {@code /*}). The probes'
     * paths and Actuator's base path are always excluded. None by default.
     */
    public List<String> getExcludePaths() {
        return excludePaths;
    }

    /** See {@link #getExcludePaths()}. */
    public void setExcludePaths(List<String> excludePaths) {
        this.excludePaths = excludePaths;
    }

    /** The timeout of the Flyway and Liquibase startup tasks. None by default. */
    public Duration getMigrationTimeout() {
        return migrationTimeout;
    }

    /** See {@link #getMigrationTimeout()}. */
    public void setMigrationTimeout(Duration migrationTimeout) {
        this.migrationTimeout = migrationTimeout;
    }

    /** The {@code lifecycle.probes.*} properties. */
    public Probes getProbes() {
        return probes;
    }

    /** The HTTP probes served by the starter's {@code HealthServlet}. */
    public static class Probes {

        private boolean enabled = true;
        private String livenessPath = "/health/live";
        private String readinessPath = "/health/ready";
        private String startupPath = "/health/started";
        private boolean showDetails;

        /** Whether to serve the probes; Actuator's groups are bridged either way. The default is {@code true}. */
        public boolean isEnabled() {
            return enabled;
        }

        /** See {@link #isEnabled()}. */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** The default is {@code /health/live}. */
        public String getLivenessPath() {
            return livenessPath;
        }

        /** See {@link #getLivenessPath()}. */
        public void setLivenessPath(String livenessPath) {
            this.livenessPath = livenessPath;
        }

        /** The default is {@code /health/ready}. */
        public String getReadinessPath() {
            return readinessPath;
        }

        /** See {@link #getReadinessPath()}. */
        public void setReadinessPath(String readinessPath) {
            this.readinessPath = readinessPath;
        }

        /** The default is {@code /health/started}. */
        public String getStartupPath() {
            return startupPath;
        }

        /** See {@link #getStartupPath()}. */
        public void setStartupPath(String startupPath) {
            this.startupPath = startupPath;
        }

        /** Whether probe bodies show the errors of failed checks and tasks. The default is {@code false}. */
        public boolean isShowDetails() {
            return showDetails;
        }

        /** See {@link #isShowDetails()}. */
        public void setShowDetails(boolean showDetails) {
            this.showDetails = showDetails;
        }
    }

    @Override
    public boolean supports(Class<?> type) {
        return LifecycleProperties.class.isAssignableFrom(type);
    }

    /** Checks the values after binding; Spring reports each rejected one with its property name and origin. */
    @Override
    public void validate(Object target, Errors errors) {
        LifecycleProperties properties = (LifecycleProperties) target;
        nonNegative(errors, "prestopDelay", "prestop-delay", properties.prestopDelay);
        nonNegative(errors, "drainTimeout", "drain-timeout", properties.drainTimeout);
        nonNegative(errors, "longLivedDrainTimeout", "long-lived-drain-timeout", properties.longLivedDrainTimeout);
        positive(errors, "stopTimeout", "stop-timeout", properties.stopTimeout);
        nonNegative(errors, "terminationGracePeriod", "termination-grace-period", properties.terminationGracePeriod);
        nonNegative(errors, "retryAfter", "retry-after", properties.retryAfter);
        nonNegative(errors, "drainQuietPeriod", "drain-quiet-period", properties.drainQuietPeriod);
        positive(errors, "migrationTimeout", "migration-timeout", properties.migrationTimeout);
        positive(errors, "readyFileRefreshInterval", "ready-file-refresh-interval",
                 properties.readyFileRefreshInterval);
        positive(errors, "healthCheckTimeout", "health-check-timeout", properties.healthCheckTimeout);
        nonNegative(errors, "healthCheckMaxAge", "health-check-max-age", properties.healthCheckMaxAge);
        if (properties.drainPolicy == null) {
            reject(errors, "drainPolicy", "drain-policy", "''", "serve-and-close, reject-503 or reject-429");
        }
        if (properties.readyFile != null && properties.readyFile.toString().isBlank()) {
            reject(errors, "readyFile", "ready-file", "'" + properties.readyFile + "'", "a file path");
        }
    }

    private static void positive(Errors errors, String field, String property, Duration value) {
        if (nonNegative(errors, field, property, value) && value.isZero()) {
            reject(errors, field, property, value, "> 0");
        }
    }

    private static boolean nonNegative(Errors errors, String field, String property, Duration value) {
        if (value != null && value.isNegative()) {
            reject(errors, field, property, value, ">= 0");
            return false;
        }
        return value != null;
    }

    private static void reject(Errors errors, String field, String property, Object value, String expected) {
        errors.rejectValue(field, "lifecycle.invalid",
                           "lifecycle." + property + ": " + value + " (expected: " + expected + ")");
    }
}
