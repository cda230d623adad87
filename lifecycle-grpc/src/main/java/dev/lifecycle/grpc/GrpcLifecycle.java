package dev.lifecycle.grpc;

import static java.util.Objects.requireNonNull;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.Probe;
import dev.lifecycle.core.State;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;

/**
 * Ties a grpc-java server (on grpc-netty or grpc-netty-shaded) to a {@link Lifecycle}: add the
 * {@linkplain #interceptor() interceptor} and the {@linkplain #healthService() health service} to the server, and
 * hand the started server to {@link #stopOnShutdown}:
 *
 * <pre>{@code
 * GrpcLifecycle grpc = GrpcLifecycle.of(lifecycle);
 * Server server = NettyServerBuilder.forPort(8080)
 *         .addService(new UsersService())
 *         .addService(grpc.healthService())
 *         .intercept(grpc.interceptor())
 *         .build()
 *         .start();
 * grpc.stopOnShutdown(server);
 * lifecycle.start();   // the health service answers while startup tasks run
 * }</pre>
 *
 * <ul>
 * <li>The interceptor counts every call, unary and streaming, from its arrival until the server reports it closed
 *     (status sent, or cancelled). Streaming calls are long-lived requests: when the drain begins they are ended with
 *     {@code UNAVAILABLE}, or finished by the service itself through {@link GrpcDrain}.</li>
 * <li>Calls that are not admitted get {@code UNAVAILABLE} without reaching the service: while starting, and after
 *     admission closed (but for unary calls that raced GOAWAY, which are served).</li>
 * <li>{@code grpc.health.v1.Health} answers from the lifecycle: the service name {@code ""} is readiness
 *     ({@code SERVING} once ready, {@code NOT_SERVING} from the start of the drain), {@code "liveness"} liveness and
 *     {@code "startup"} the startup probe, for Kubernetes' {@code grpc} probes; {@code Watch} is supported. Health
 *     calls are never counted nor refused.</li>
 * <li>When the drain begins (after the pre-stop delay) the server is shut down: it sends GOAWAY on every connection,
 *     so clients open their next calls elsewhere, and stops accepting connections, while the calls in flight go
 *     on. After the drain, the stop action waits for the server to terminate; at the lifecycle's stop timeout it
 *     cancels the calls left with {@code shutdownNow()}.</li>
 * </ul>
 */
public final class GrpcLifecycle {

    /** The health service, always excluded from counting. */
    static final String HEALTH_SERVICE = HealthGrpc.SERVICE_NAME;

    private static final Logger logger = LoggerFactory.getLogger(GrpcLifecycle.class);

    private static final Status STARTING = Status.UNAVAILABLE.withDescription("Service starting");
    private static final Status STARTUP_FAILED = Status.UNAVAILABLE.withDescription("Service startup failed");
    private static final Status SHUTTING_DOWN = Status.UNAVAILABLE.withDescription("Service shutting down");

    final Lifecycle lifecycle;
    private final InflightTracker tracker;
    private final LifecycleServerInterceptor interceptor;
    private final LifecycleHealthService health;
    private final Object drainLock = new Object();
    private volatile Server server; // written under drainLock
    private boolean drainBegun; // guarded by drainLock
    /** Whether the service had become ready before admission closed; computed once, when first needed. */
    private volatile Boolean wasReady;
    /** Unary calls that arrived after GOAWAY, served uncounted; see {@link LifecycleServerInterceptor}. */
    final LongAdder servedAfterGoaway = new LongAdder();

    GrpcLifecycle(GrpcLifecycleBuilder config) {
        lifecycle = config.lifecycle;
        tracker = lifecycle.tracker();
        Set<String> excluded = new HashSet<>(config.excludeServices);
        excluded.add(HEALTH_SERVICE);
        interceptor = new LifecycleServerInterceptor(this, Set.copyOf(excluded));
        health = new LifecycleHealthService(lifecycle, config.healthServices(), config.watchInterval);
        tracker.onClose(this::drainBegins);
    }

    /** Returns an instance with the default settings (see {@link GrpcLifecycleBuilder}). */
    public static GrpcLifecycle of(Lifecycle lifecycle) {
        return builder(lifecycle).build();
    }

    /** Returns a new builder for {@code lifecycle}. */
    public static GrpcLifecycleBuilder builder(Lifecycle lifecycle) {
        return new GrpcLifecycleBuilder(lifecycle);
    }

    /**
     * The interceptor that counts and admits calls: give it to {@code ServerBuilder.intercept}, which applies it to
     * every service (the health service passes through), or to {@code ServerInterceptors.intercept} per service.
     */
    public ServerInterceptor interceptor() {
        return interceptor;
    }

    /** The {@code grpc.health.v1.Health} service, answered from the lifecycle: add it to the server. */
    public BindableService healthService() {
        return health;
    }

    /**
     * Ties the started {@code server} to the lifecycle's shutdown. When the drain begins, {@code server.shutdown()}:
     * GOAWAY on every connection (grpc-java's graceful two-step GOAWAY), so that clients, which hold one long-lived
     * connection, open their next calls on another replica, and no new connection; the calls in flight go on and are
     * drained. It also ends the health service's {@code Watch} calls. Then the stop action {@code "grpc server"}, after
     * the drain, waits for the server to terminate; when the lifecycle's stop timeout interrupts the wait, it cancels
     * the calls left with {@code shutdownNow()} and logs how many were counted. Call it once, after
     * {@code server.start()} and after registering the stop actions that must run after the server's (a
     * connection pool): stop actions run in reverse order of registration.
     *
     * @throws IllegalStateException if called twice
     */
    public void stopOnShutdown(Server server) {
        requireNonNull(server, "server cannot be null");
        boolean shutDownNow;
        synchronized (drainLock) {
            if (this.server != null) {
                throw new IllegalStateException("stopOnShutdown(): already called with " + this.server);
            }
            this.server = server;
            shutDownNow = drainBegun; // the drain began before the server was known
        }
        if (shutDownNow) {
            server.shutdown();
        }
        lifecycle.addStopAction("grpc server", () -> stop(server));
    }

    private void stop(Server server) throws InterruptedException {
        server.shutdown();
        try {
            server.awaitTermination();
            long served = servedAfterGoaway.sum();
            if (served > 0) {
                logger.info("gRPC server terminated; it served {} call(s) sent before their client received GOAWAY",
                            served);
            }
        } catch (InterruptedException e) {
            logger.warn("gRPC server did not terminate within the stop timeout with {} call(s) and {} long-lived "
                        + "call(s) still counted; cancelling what is left (shutdownNow)", tracker.inflight(),
                        tracker.longLived());
            server.shutdownNow();
            throw e;
        }
    }

    /**
     * Runs once, when the drain begins: the tracker's close listener, or the first long-lived call told to end (which
     * runs before the close listeners), so that GOAWAY is on its way before the first stream ends.
     */
    void drainBegins() {
        synchronized (drainLock) {
            if (drainBegun) {
                return;
            }
            drainBegun = true;
            if (server != null) {
                server.shutdown();
            }
        }
        health.endWatches();
    }

    /**
     * Whether a call that admission refused should be served anyway: admission has closed after the service was
     * ready, and a server is tied to the drain, so that GOAWAY is sent to every connection as soon as the drain begins
     * (admission closes a moment before); such a call was sent before its client received GOAWAY.
     */
    boolean racedGoaway() {
        if (server == null || !tracker.isClosed()) {
            return false;
        }
        Boolean ready = wasReady;
        if (ready == null) {
            // Up once the startup tasks succeeded and the service became ready, and from then on.
            ready = lifecycle.health(Probe.STARTUP).isUp(Probe.STARTUP);
            wasReady = ready;
        }
        return ready;
    }

    /** The status of a call that was not admitted. */
    Status refusal() {
        State state = lifecycle.state();
        if (state == State.STARTING) {
            return STARTING;
        }
        return state == State.FAILED ? STARTUP_FAILED : SHUTTING_DOWN;
    }

    /** The health service, for tests. */
    LifecycleHealthService health() {
        return health;
    }
}
