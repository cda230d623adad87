package dev.lifecycle.core;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Micrometer meters for a {@link Lifecycle}, read from its live state (nothing is recorded on the request path):
 * <ul>
 * <li>{@code lifecycle.requests.inflight} and {@code lifecycle.requests.long.lived}: gauges;</li>
 * <li>{@code lifecycle.requests.refused}: counter of requests refused because admission was not open;</li>
 * <li>{@code lifecycle.requests.served.draining}: counter of requests admitted after the drain began
 *     ({@link DrainPolicy#SERVE_AND_CLOSE});</li>
 * <li>{@code lifecycle.connections.closed}: counters, tagged {@code reason}: {@code idle} for idle keep-alive
 *     connections the adapter closed when the drain began, {@code after_response} for connections closed after a
 *     response while draining;</li>
 * <li>{@code lifecycle.state}: a gauge per state, tagged {@code state}, 1 for the current one and 0 for the others;</li>
 * <li>{@code lifecycle.drain.duration}: a timer with one event once the drain has finished;</li>
 * <li>{@code lifecycle.startup.task.duration}: a timer per startup task, tagged {@code task}, with one event
 *     once the task has finished.</li>
 * </ul>
 * Micrometer is an optional dependency of lifecycle-core: add {@code micrometer-core} to use this class.
 *
 * <pre>{@code new LifecycleMetrics(lifecycle).bindTo(registry);}</pre>
 */
@SuppressWarnings("exports") // Micrometer is optional: see module-info
public final class LifecycleMetrics implements MeterBinder {

    private final Lifecycle lifecycle;

    /** Creates the binder for {@code lifecycle}. */
    public LifecycleMetrics(Lifecycle lifecycle) {
        this.lifecycle = requireNonNull(lifecycle, "lifecycle cannot be null");
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        InflightTracker tracker = lifecycle.tracker();
        Gauge.builder("lifecycle.requests.inflight", tracker, InflightTracker::inflight)
             .description("Requests admitted and not yet completed, long-lived ones excluded")
             .register(registry);
        Gauge.builder("lifecycle.requests.long.lived", tracker, InflightTracker::longLived)
             .description("Long-lived requests (streams) in flight")
             .register(registry);
        FunctionCounter.builder("lifecycle.requests.refused", tracker, InflightTracker::refused)
                       .description("Requests refused because the service was not ready or had drained")
                       .register(registry);
        FunctionCounter.builder("lifecycle.requests.served.draining", tracker, InflightTracker::servedWhileDraining)
                       .description("Requests admitted and served after the drain began")
                       .register(registry);
        ConnectionStats connections = lifecycle.connections();
        FunctionCounter.builder("lifecycle.connections.closed", connections, ConnectionStats::closedIdleCount)
                       .description("Connections the server closed because of the drain")
                       .tag("reason", "idle")
                       .register(registry);
        FunctionCounter.builder("lifecycle.connections.closed", connections,
                                ConnectionStats::closedAfterResponseCount)
                       .description("Connections the server closed because of the drain")
                       .tag("reason", "after_response")
                       .register(registry);
        for (State state : State.values()) {
            Gauge.builder("lifecycle.state", lifecycle, l -> l.state() == state ? 1 : 0)
                 .description("1 for the lifecycle's current state, 0 for the others")
                 .tag("state", state.name())
                 .register(registry);
        }
        FunctionTimer.builder("lifecycle.drain.duration", lifecycle,
                              l -> l.drainDuration().isPresent() ? 1 : 0,
                              l -> l.drainDuration().map(Duration::toNanos).orElse(0L),
                              TimeUnit.NANOSECONDS)
                     .description("Time from admission closing to the last in-flight request completing")
                     .register(registry);
        for (Health.Task task : lifecycle.tasks()) {
            String name = task.name();
            FunctionTimer.builder("lifecycle.startup.task.duration", lifecycle,
                                  l -> finished(l, name) != null ? 1 : 0,
                                  l -> {
                                      Health.Task t = finished(l, name);
                                      return t == null ? 0 : t.duration().toNanos();
                                  },
                                  TimeUnit.NANOSECONDS)
                         .description("How long a startup task ran, once it has finished")
                         .tag("task", name)
                         .register(registry);
        }
    }

    private static Health.Task finished(Lifecycle lifecycle, String name) {
        for (Health.Task task : lifecycle.tasks()) {
            if (task.name().equals(name)) {
                Health.TaskStatus status = task.status();
                boolean ended = status != Health.TaskStatus.PENDING && status != Health.TaskStatus.RUNNING;
                // a task cancelled before it began never ran: no event
                return ended && !task.duration().isZero() ? task : null;
            }
        }
        return null;
    }
}
