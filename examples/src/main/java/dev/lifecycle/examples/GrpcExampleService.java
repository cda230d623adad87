package dev.lifecycle.examples;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.grpc.GrpcLifecycle;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The example service over gRPC: the same users API ({@link GrpcUsersApi}), startup sequence, environment variables,
 * {@code --migrate-only} and exit statuses as {@link ExampleService} (see {@link Service}), through lifecycle-grpc's
 * {@link GrpcLifecycle}, on grpc-netty-shaded. Run it from the same jar:
 * {@code java -cp examples/target/examples.jar dev.lifecycle.examples.GrpcExampleService}.
 *
 * <p>The port opens first: while the migrations run, {@code grpc.health.v1.Health} answers {@code NOT_SERVING} for
 * readiness ({@code ""}) and {@code SERVING} for {@code "liveness"} (which checks the database pool), and the API
 * {@code UNAVAILABLE}. On SIGTERM: readiness {@code NOT_SERVING}, the pre-stop delay, then GOAWAY on every connection
 * (clients open their next calls elsewhere), {@code Ticks} streams told to reconnect, calls in flight finish, the
 * server terminates, the pool closes. Every response carries {@code x-instance}. There is no {@code /metrics}
 * endpoint in this variant.
 */
public final class GrpcExampleService {

    private GrpcExampleService() {
    }

    /**
     * Runs the service, or with {@code --migrate-only} the migrations alone.
     *
     * @param args nothing, or {@code --migrate-only}
     */
    public static void main(String[] args) {
        Service.run(args, GrpcExampleService.class, GrpcExampleService::open);
    }

    private static InetSocketAddress open(ServiceConfig config, Lifecycle lifecycle, UsersApi users,
                                          PrometheusMeterRegistry registry) throws IOException {
        GrpcLifecycle grpc = GrpcLifecycle.of(lifecycle);
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "ticks");
            thread.setDaemon(true);
            return thread;
        });
        // Daemon: once the server has terminated (its stop action), no stream is left to tick.
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(config.bindAddress(), config.port()))
                                          .addService(new GrpcUsersApi(users, ticker))
                                          .addService(grpc.healthService())
                                          .intercept(grpc.interceptor())
                                          // The last interceptor added runs first: refusals carry x-instance too.
                                          .intercept(new GrpcInstanceInterceptor(config.instanceId()))
                                          .build();
        try {
            server.start();
        } catch (IOException e) {
            ticker.shutdownNow();
            throw e;
        }
        grpc.stopOnShutdown(server);
        // grpc-netty-shaded's threads are daemons: this one keeps the JVM up until the server has terminated.
        Thread awaiter = new Thread(() -> {
            try {
                server.awaitTermination();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "grpc-server-awaiter");
        awaiter.start();
        return (InetSocketAddress) server.getListenSockets().get(0);
    }
}
