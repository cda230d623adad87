package dev.lifecycle.spring.boot;

import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.StartupException;

/**
 * Starts and stops the {@link Lifecycle} within Spring's own start and stop, in the phase between the web server's
 * and the beans of the default phase.
 *
 * <p>Start: the web server has opened its port (phase {@code DEFAULT_PHASE - 2048}), so probes answer while the
 * startup tasks run here, synchronously, within the context's refresh: a failed task fails the refresh and the
 * process exits non-zero, as a failed migration always did in Spring Boot. Beans of the default phase (message
 * listeners, schedulers) start only once the service is ready.
 *
 * <p>Stop: Spring's single shutdown hook closes the context, which stops the phases from the highest down. This one
 * runs the whole sequence of {@link Lifecycle#shutdown()} (readiness down, pre-stop delay, drain) before the web
 * server's graceful shutdown ({@code DEFAULT_PHASE - 1024}) and its stop, and before any bean is destroyed, so
 * that in-flight requests still have their data source. It runs synchronously: Spring's
 * {@code spring.lifecycle.timeout-per-shutdown-phase} does not cut it short.
 *
 * <p>Spring's {@code ApplicationAvailability} follows the lifecycle: liveness {@code CORRECT} and readiness
 * {@code REFUSING_TRAFFIC} (Spring's initial state) while the tasks run, {@code ACCEPTING_TRAFFIC} once ready, liveness {@code BROKEN} when
 * startup failed. The other direction is the two health checks {@link LifecycleAutoConfiguration} adds.
 */
final class LifecycleRunner implements SmartLifecycle {

    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 512;

    private final Lifecycle lifecycle;
    private final ApplicationEventPublisher publisher;
    private volatile boolean running;

    LifecycleRunner(Lifecycle lifecycle, ApplicationEventPublisher publisher) {
        this.lifecycle = lifecycle;
        this.publisher = publisher;
    }

    @Override
    public void start() {
        running = true;
        // Readiness stays as Spring starts it, REFUSING_TRAFFIC without an event: an event of ours would read, in
        // the lifecycle's "application-availability" check, as the application refusing traffic.
        AvailabilityChangeEvent.publish(publisher, this, LivenessState.CORRECT);
        try {
            lifecycle.start();
        } catch (StartupException e) {
            AvailabilityChangeEvent.publish(publisher, this, LivenessState.BROKEN);
            throw e;
        }
        AvailabilityChangeEvent.publish(publisher, this, ReadinessState.ACCEPTING_TRAFFIC);
    }

    @Override
    public void stop() {
        AvailabilityChangeEvent.publish(publisher, this, ReadinessState.REFUSING_TRAFFIC);
        lifecycle.shutdown();
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
