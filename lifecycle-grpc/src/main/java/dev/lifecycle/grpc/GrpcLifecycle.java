package dev.lifecycle.grpc;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.DrainPolicy;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.LocalResponse;
import dev.lifecycle.core.Probe;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
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

    /** The trailer by which a gRPC server tells a client's retry policy when to retry: {@code Retry-After}. */
    static final Metadata.Key<String> RETRY_PUSHBACK_MS =
            Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);

    final Lifecycle lifecycle;
    private final InflightTracker tracker;
    private final LifecycleServerInterceptor interceptor;
    private final LifecycleHealthService health;
    private final Object drainLock = new Object();
    private volatile Server server; // written under drainLock
    private boolean drainBegun; // guarded by drainLock
    /** Whether the service had become ready before admission closed; computed once, when first needed. */
    private volatile Boolean wasReady;
    /** The last refusal translated, by the identity of the lifecycle's answer (it has one per reason). */
    private volatile Refusal lastRefusal;

    /** A refusal of the lifecycle and its gRPC translation. */
    private record Refusal(LocalResponse response, Status status) {
    }
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
     * Whether a call that admission refuses should be served anyway. Under {@link DrainPolicy#SERVE_AND_CLOSE},
     * admission closes for good once no call is in flight, while GOAWAY, sent when the drain began, may still be on
     * its way to some client: when a server is tied to the drain and the service was ready, such a call was sent
     * before its client received GOAWAY, and is served. Under the {@code REJECT_*} policies it is refused.
     */
    boolean racedGoaway() {
        if (server == null || lifecycle.drainPolicy() != DrainPolicy.SERVE_AND_CLOSE || !tracker.isClosed()) {
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

    /**
     * Refuses {@code call}, translating the lifecycle's {@link Lifecycle#refusal() refusal}: {@code UNAVAILABLE}
     * (gRPC's translation of both {@code 503} and {@code 429}, and a status clients retry) with the refusal's text
     * as description, and its {@code Retry-After} as {@code grpc-retry-pushback-ms}, which a client's retry policy
     * obeys.
     */
    void refuse(ServerCall<?, ?> call) {
        LocalResponse response = lifecycle.refusal();
        Refusal refusal = lastRefusal;
        if (refusal == null || refusal.response() != response) {
            refusal = new Refusal(response, Status.UNAVAILABLE.withDescription(
                    new String(response.body(), StandardCharsets.UTF_8).strip()));
            lastRefusal = refusal;
        }
        Metadata trailers = new Metadata();
        String retryAfter = response.headers().get("Retry-After");
        if (retryAfter != null) {
            trailers.put(RETRY_PUSHBACK_MS, Long.toString(Long.parseLong(retryAfter) * 1000));
        }
        call.close(refusal.status(), trailers);
    }

    /** The health service, for tests. */
    LifecycleHealthService health() {
        return health;
    }
}
