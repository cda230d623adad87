package dev.lifecycle.grpc;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.Probe;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * {@code grpc.health.v1.Health} answered from the lifecycle: each service name is one probe. {@code Check} asks the
 * lifecycle for the probe's health at each call, as the HTTP probes do, without blocking a gRPC thread. {@code Watch} sends the status at once, then whenever it
 * changes: the lifecycle has no change events (and health checks none either), so the statuses of the watched probes
 * are evaluated every watch interval, once per probe for all watchers, on one daemon thread that runs only while a
 * watch is open. When the drain begins, every watch gets the status of that moment and is ended with
 * {@code UNAVAILABLE}, so that the server can terminate and client-side health checking stops using the replica.
 */
final class LifecycleHealthService extends HealthGrpc.HealthImplBase {

    private static final Logger logger = LoggerFactory.getLogger(LifecycleHealthService.class);

    static final Status SHUTTING_DOWN = Status.UNAVAILABLE.withDescription("Service shutting down");

    private final Lifecycle lifecycle;
    private final Map<String, Probe> services;
    private final String serviceNames;
    private final Duration watchInterval;
    private final Set<Watch> watches = ConcurrentHashMap.newKeySet();
    private final Object schedulerLock = new Object();
    private ScheduledExecutorService scheduler; // guarded by schedulerLock
    private boolean ended; // guarded by schedulerLock

    LifecycleHealthService(Lifecycle lifecycle, Map<String, Probe> services, Duration watchInterval) {
        this.lifecycle = lifecycle;
        this.services = Collections.unmodifiableMap(new LinkedHashMap<>(services));
        this.serviceNames = services.keySet().stream().map(name -> "'" + name + "'")
                                    .collect(Collectors.joining(", ", "[", "]"));
        this.watchInterval = watchInterval;
    }

    @Override
    public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> observer) {
        Probe probe = services.get(request.getService());
        if (probe == null) {
            observer.onError(Status.NOT_FOUND.withDescription("Unknown service '" + request.getService()
                                                               + "' (expected: one of " + serviceNames + ')')
                                             .asRuntimeException());
            return;
        }
        // The checks run on the lifecycle's threads, bounded by its health check timeout: no gRPC thread waits.
        lifecycle.healthAsync(probe).whenComplete((health, failure) -> {
            if (failure != null) {
                observer.onError(Status.INTERNAL.withDescription("Health of " + probe + " failed: " + failure)
                                                .asRuntimeException());
                return;
            }
            observer.onNext(response(health.isUp(probe) ? ServingStatus.SERVING : ServingStatus.NOT_SERVING));
            observer.onCompleted();
        });
    }

    @Override
    public void watch(HealthCheckRequest request, StreamObserver<HealthCheckResponse> observer) {
        ServerCallStreamObserver<HealthCheckResponse> call = (ServerCallStreamObserver<HealthCheckResponse>) observer;
        Watch watch = new Watch(call, services.get(request.getService()));
        call.setOnCancelHandler(() -> watches.remove(watch));
        watch.send(watch.probe == null ? ServingStatus.SERVICE_UNKNOWN : status(watch.probe));
        synchronized (schedulerLock) {
            if (ended) {
                watch.end();
                return;
            }
            watches.add(watch);
            if (scheduler == null) {
                scheduler = Executors.newSingleThreadScheduledExecutor(task -> {
                    Thread thread = new Thread(task, "lifecycle-grpc-health-watch");
                    thread.setDaemon(true);
                    return thread;
                });
                long nanos = watchInterval.toNanos();
                scheduler.scheduleWithFixedDelay(this::update, nanos, nanos, TimeUnit.NANOSECONDS);
            }
        }
    }

    /** Sends every watch its probe's status if it changed; each probe is evaluated once. */
    private void update() {
        try {
            Map<Probe, ServingStatus> statuses = new EnumMap<>(Probe.class);
            for (Watch watch : watches) {
                if (watch.probe != null) {
                    watch.send(statuses.computeIfAbsent(watch.probe, this::status));
                }
            }
        } catch (RuntimeException e) {
            // A failure must not cancel the periodic task: the next update tries again.
            logger.warn("Could not update the health watches", e);
        }
    }

    /** When the drain begins: the last status to each watch, then the end. Must not block for long. */
    void endWatches() {
        ScheduledExecutorService toStop;
        synchronized (schedulerLock) {
            ended = true;
            toStop = scheduler;
        }
        if (toStop != null) {
            toStop.shutdownNow();
        }
        Map<Probe, ServingStatus> statuses = new EnumMap<>(Probe.class);
        for (Watch watch : watches) {
            if (watch.probe != null) {
                watch.send(statuses.computeIfAbsent(watch.probe, this::status));
            }
            watch.end();
        }
        watches.clear();
    }

    /** The number of watches open. */
    int watches() {
        return watches.size();
    }

    private ServingStatus status(Probe probe) {
        return lifecycle.health(probe).isUp(probe) ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    }

    private static HealthCheckResponse response(ServingStatus status) {
        return HealthCheckResponse.newBuilder().setStatus(status).build();
    }

    /** One open {@code Watch} call; its writes are serialized by its monitor. */
    private static final class Watch {
        private final ServerCallStreamObserver<HealthCheckResponse> call;
        final Probe probe;
        private ServingStatus last;
        private boolean done;

        Watch(ServerCallStreamObserver<HealthCheckResponse> call, Probe probe) {
            this.call = call;
            this.probe = probe;
        }

        synchronized void send(ServingStatus status) {
            if (done || status == last || call.isCancelled()) {
                return;
            }
            last = status;
            try {
                call.onNext(response(status));
            } catch (RuntimeException e) { // cancelled meanwhile
                done = true;
            }
        }

        synchronized void end() {
            if (done) {
                return;
            }
            done = true;
            if (!call.isCancelled()) {
                try {
                    call.onError(SHUTTING_DOWN.asRuntimeException());
                } catch (RuntimeException e) { // cancelled meanwhile
                    logger.debug("Could not end a health watch", e);
                }
            }
        }
    }
}
