package dev.lifecycle.examples;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.netty.NettyLifecycle;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutorGroup;

/**
 * The example service on Netty: the same users API, probes, metrics, environment variables, startup sequence,
 * {@code --migrate-only} and exit statuses as {@link ExampleService} (see {@link Service}), through
 * lifecycle-netty's {@link NettyLifecycle}. Run it from the same jar:
 * {@code java -cp examples/target/examples.jar dev.lifecycle.examples.NettyExampleService}.
 *
 * <p>Each connection's pipeline: the lifecycle's h2c handler, which turns the connection into HTTP/2 on the client's
 * prior knowledge or {@code Upgrade: h2c}, and otherwise decodes HTTP/1.1 for the handlers after it;
 * {@link InstanceHeaderHandler}, so that probes and refusals carry {@code X-Instance} too; the lifecycle's handler,
 * which answers the probes (the readiness probe's database check runs on the lifecycle's threads, never on an event
 * loop) and refuses what is not admitted; an {@code HttpObjectAggregator}; and the API ({@link NettyApiHandler}), which
 * runs its JDBC calls on a {@code database} executor so that they never block an event loop. Over HTTP/2 each stream
 * gets the same handlers after the lifecycle's stream handler, through {@code Http2StreamFrameToHttpObjectCodec}; when
 * the drain begins, each HTTP/2 connection gets the graceful {@code GOAWAY}.
 *
 * <p>As on Undertow, {@code /metrics} is an excluded path: never counted in flight nor refused, so that it answers
 * while the migrations run and during the drain.
 */
public final class NettyExampleService {

    /** Threads running the users API, which blocks on JDBC: a few more than the pool has connections. */
    static final int DATABASE_THREADS = 16;
    /** The largest request body the aggregator accepts; a larger one gets {@code 413}. */
    static final int MAX_CONTENT_LENGTH = 64 * 1024;

    private NettyExampleService() {
    }

    /**
     * Runs the service, or with {@code --migrate-only} the migrations alone.
     *
     * @param args nothing, or {@code --migrate-only}
     */
    public static void main(String[] args) {
        Service.run(args, NettyExampleService.class, NettyExampleService::open);
    }

    private static InetSocketAddress open(ServiceConfig config, Lifecycle lifecycle, UsersApi users,
                                          PrometheusMeterRegistry registry) throws InterruptedException {
        NettyLifecycle netty = NettyLifecycle.builder(lifecycle).excludePaths(ServiceConfig.METRICS_PATH).build();
        ChannelHandler instanceHeader = new InstanceHeaderHandler(config.instanceId());
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        // Netty 4.2 deprecates running a handler on its own executor group: the API hands its blocking part over.
        EventExecutorGroup database = new DefaultEventExecutorGroup(DATABASE_THREADS,
                                                                    new DefaultThreadFactory("database"));
        ChannelHandler streams = new ChannelInitializer<Http2StreamChannel>() { // @Sharable: one for every stream
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.pipeline()
                      .addLast(new Http2StreamFrameToHttpObjectCodec(true), instanceHeader,
                               new HttpObjectAggregator(MAX_CONTENT_LENGTH),
                               new NettyApiHandler(users, registry, database));
            }
        };
        Channel server = null;
        try {
            server = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline()
                              .addLast(netty.newHttp2cHandler(streams), instanceHeader, netty.newHandler(),
                                       new HttpObjectAggregator(MAX_CONTENT_LENGTH),
                                       new NettyApiHandler(users, registry, database));
                        }
                    })
                    .bind(config.bindAddress(), config.port()).sync().channel();
        } finally {
            if (server == null) {
                // The port could not be opened: release the threads, or they would keep the JVM alive.
                for (EventExecutorGroup group : new EventExecutorGroup[] {boss, workers, database}) {
                    group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
                }
            }
        }
        // After the drain: close the server and its connections, then the event loops and the database executor.
        netty.stopOnShutdown(server, boss, workers, database);
        return (InetSocketAddress) server.localAddress();
    }
}
