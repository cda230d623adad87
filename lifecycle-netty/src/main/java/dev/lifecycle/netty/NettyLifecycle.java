package dev.lifecycle.netty;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.internal.Durations;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.util.concurrent.EventExecutorGroup;

/**
 * Ties a Netty HTTP/1.1 server to a {@link Lifecycle}. Add {@link #newHandler()} to each connection's pipeline right
 * after {@code HttpServerCodec}, and hand the server channel and event loops to {@link #stopOnShutdown}:
 *
 * <pre>{@code
 * NettyLifecycle netty = NettyLifecycle.of(lifecycle);
 * ServerBootstrap bootstrap = new ServerBootstrap()
 *         .group(boss, workers)
 *         .channel(NioServerSocketChannel.class)
 *         .childHandler(new ChannelInitializer<SocketChannel>() {
 *             protected void initChannel(SocketChannel ch) {
 *                 ch.pipeline().addLast(new HttpServerCodec(), netty.newHandler(), new MyAppHandler());
 *             }
 *         });
 * Channel server = bootstrap.bind(8080).sync().channel();
 * netty.stopOnShutdown(server, boss, workers);
 * lifecycle.start();   // probes answer while startup tasks run
 * }</pre>
 *
 * The handler, per connection:
 * <ul>
 * <li>counts each request, pipelined ones included, from its {@code HttpRequest} until the write of its response's
 *     {@code LastHttpContent} has completed, so a streamed response is counted until its last chunk is written; the
 *     connection closing (peer gone, exception, application that never answers) releases what it still counts;</li>
 * <li>answers the liveness, readiness and startup probes itself, with the JSON of
 *     {@link dev.lifecycle.core.Health#toJson}, running their health checks on the
 *     {@linkplain NettyLifecycleBuilder#probeExecutor probe executor}, never on the event loop; probes are never
 *     counted nor refused;</li>
 * <li>answers requests that are not admitted with the lifecycle's {@linkplain Lifecycle#refusal() refusal}
 *     ({@code 503} or {@code 429}, {@code Retry-After}, {@code Connection: close}) and closes the connection: while
 *     starting, and once admission has closed;</li>
 * <li>answers a request that Netty could not decode (its {@code decoderResult()} failed: a header or request line too
 *     long, a malformed request) with {@code 431}, {@code 414} or {@code 400} and {@code Connection: close}, as servlet
 *     containers do: the decoder drops whatever else the connection sends, and the application never sees it;</li>
 * <li>passes requests to {@linkplain NettyLifecycleBuilder#excludePaths excluded paths} (a metrics endpoint) to the
 *     application uncounted and never refuses them;</li>
 * <li>while draining, adds {@code Connection: close} to the last response of the connection and closes it once that
 *     response is written; when the drain begins, closes idle keep-alive connections that have carried a request
 *     (counted in {@link Lifecycle#connections()}).</li>
 * </ul>
 * An application handler after it answers requests in order (as HTTP/1.1 requires) with an {@code HttpResponse}
 * and a {@code LastHttpContent} (or a {@code FullHttpResponse}); handlers that turn other objects into HTTP content,
 * such as {@code ChunkedWriteHandler}, go after this one. A {@code 101 Switching Protocols} response turns the
 * connection into a long-lived request (see {@link dev.lifecycle.core.InflightRequest#markLongLived}), closed when
 * admission closes.
 *
 * <p>HTTP/2 (with {@code netty-codec-http2}): {@link #newHttp2cHandler} for cleartext connections (prior knowledge or
 * the HTTP/1.1 upgrade), {@link #newHttp2Handler} after TLS when ALPN chose {@code h2}. Streams are counted, probes
 * answered and refusals sent per stream; when the drain begins each connection gets the graceful two-step
 * {@code GOAWAY} and closes once its last stream has ended.
 */
public final class NettyLifecycle {

    /** The threads of the default probe executor. */
    static final int PROBE_THREADS = 4;

    private static final Logger logger = LoggerFactory.getLogger(NettyLifecycle.class);

    final Lifecycle lifecycle;
    final InflightTracker tracker;
    final LocalResponses responses;
    final ExcludedPaths excludedPaths;
    final Executor probeExecutor;
    final Set<DrainingConnection> connections = ConcurrentHashMap.newKeySet();
    /** The default probe executor, shut down by the stop action; {@code null} when the user gave one. */
    private final ExecutorService ownProbeExecutor;
    private final Duration eventLoopShutdownTimeout;

    NettyLifecycle(NettyLifecycleBuilder config) {
        lifecycle = config.lifecycle;
        tracker = lifecycle.tracker();
        responses = new LocalResponses(lifecycle, config.livenessPath, config.readinessPath, config.startupPath,
                                       config.showDetails);
        excludedPaths = ExcludedPaths.of(config.excludePaths);
        ownProbeExecutor = config.probeExecutor == null ? newProbeExecutor() : null;
        probeExecutor = config.probeExecutor == null ? ownProbeExecutor : config.probeExecutor;
        eventLoopShutdownTimeout = config.eventLoopShutdownTimeout;
        tracker.onClose(this::closeIdleConnections);
    }

    private static ExecutorService newProbeExecutor() {
        AtomicInteger threads = new AtomicInteger();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(PROBE_THREADS, PROBE_THREADS, 60, TimeUnit.SECONDS,
                                                             new LinkedBlockingQueue<>(), task -> {
            Thread thread = new Thread(task, "lifecycle-probe-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }

    /** Returns an instance with the default settings (see {@link NettyLifecycleBuilder}). */
    public static NettyLifecycle of(Lifecycle lifecycle) {
        return builder(lifecycle).build();
    }

    /** Returns a new builder for {@code lifecycle}. */
    public static NettyLifecycleBuilder builder(Lifecycle lifecycle) {
        return new NettyLifecycleBuilder(lifecycle);
    }

    /**
     * Returns a new handler for one connection, to add right after {@code HttpServerCodec}. It keeps the
     * connection's state: never share it between channels.
     */
    public ChannelHandler newHandler() {
        return new LifecycleHandler(this);
    }

    /**
     * Returns the handlers of one HTTP/2 connection, for a pipeline that speaks HTTP/2 from its first byte: after
     * TLS when ALPN chose {@code h2}, or for cleartext clients with prior knowledge. Added to the pipeline, it puts in
     * its place Netty's {@code Http2FrameCodec}, the lifecycle's connection handler (the graceful {@code GOAWAY} when
     * the drain begins) and an {@code Http2MultiplexHandler} that gives each stream its own child channel, whose
     * pipeline holds the lifecycle's stream handler, then {@code streamHandler} (typically a
     * {@code ChannelInitializer<Http2StreamChannel>} adding {@code Http2StreamFrameToHttpObjectCodec} and the
     * application). One per connection; needs {@code netty-codec-http2}.
     *
     * @param streamHandler added to every stream's pipeline, so it must be {@code @Sharable}
     * @throws NullPointerException if {@code streamHandler} is {@code null}
     * @throws IllegalArgumentException if {@code streamHandler} is not {@code @Sharable}
     */
    public ChannelHandler newHttp2Handler(ChannelHandler streamHandler) {
        return Http2Handlers.http2(this, Http2Handlers.requireSharable(streamHandler));
    }

    /**
     * Returns the first handler of a cleartext connection that may speak HTTP/2 (h2c), by prior knowledge or by the
     * HTTP/1.1 {@code Upgrade: h2c} request, or stay HTTP/1.1: then the handlers after it see HTTP/1.1 requests, so
     * add {@link #newHandler()} and the application's HTTP/1.1 handlers after it. HTTP/2 connections are set up as by
     * {@link #newHttp2Handler}. One per connection; needs {@code netty-codec-http2}.
     *
     * @param streamHandler added to every stream's pipeline, so it must be {@code @Sharable}
     * @throws NullPointerException if {@code streamHandler} is {@code null}
     * @throws IllegalArgumentException if {@code streamHandler} is not {@code @Sharable}
     */
    public ChannelHandler newHttp2cHandler(ChannelHandler streamHandler) {
        return Http2Handlers.cleartext(this, Http2Handlers.requireSharable(streamHandler));
    }

    /**
     * Registers the stop action of a Netty server, {@code "netty server"}, to run after the drain: it closes
     * {@code serverChannel} (no new connections) and the connections still open, then shuts {@code groups} down
     * gracefully (no quiet period, the {@linkplain NettyLifecycleBuilder#eventLoopShutdownTimeout event loop shutdown
     * timeout}) and waits until they have terminated. One action, so that it counts once in the shutdown budget the
     * lifecycle checks against the termination grace period. Last, it shuts the default
     * {@linkplain NettyLifecycleBuilder#probeExecutor probe executor} down, if in use. Stop actions run in reverse order
     * of registration: call this after registering what must stop after the server (a connection pool).
     *
     * @param serverChannel the channel returned by {@code ServerBootstrap.bind}
     * @param groups the event loop groups (boss, workers) and executor groups of the server's handlers
     */
    public void stopOnShutdown(Channel serverChannel, EventExecutorGroup... groups) {
        requireNonNull(serverChannel, "serverChannel cannot be null");
        requireNonNull(groups, "groups cannot be null");
        for (int i = 0; i < groups.length; i++) {
            requireNonNull(groups[i], "groups[" + i + "] cannot be null");
        }
        List<EventExecutorGroup> toShutDown = List.of(groups);
        lifecycle.addStopAction("netty server", () -> {
            try {
                closeServer(serverChannel);
                shutDown(toShutDown);
            } finally {
                if (ownProbeExecutor != null) {
                    // No connection is left to answer: a check still running is interrupted.
                    ownProbeExecutor.shutdownNow();
                }
            }
        });
    }

    private void closeServer(Channel serverChannel) throws InterruptedException {
        serverChannel.close().await();
        List<ChannelFuture> closing = new ArrayList<>();
        for (DrainingConnection connection : connections) {
            closing.add(connection.close());
        }
        for (ChannelFuture future : closing) {
            future.await();
        }
        if (!closing.isEmpty()) {
            logger.info("Closed {} connection(s) still open after the drain", closing.size());
        }
    }

    private void shutDown(List<EventExecutorGroup> groups) throws InterruptedException {
        long timeoutNanos = eventLoopShutdownTimeout.toNanos();
        for (EventExecutorGroup group : groups) {
            group.shutdownGracefully(0, timeoutNanos, TimeUnit.NANOSECONDS);
        }
        // A loop exits shortly after its timeout unless one of its tasks blocks: allow a second beyond it.
        long boundNanos = timeoutNanos + TimeUnit.SECONDS.toNanos(1);
        long deadline = System.nanoTime() + boundNanos;
        for (EventExecutorGroup group : groups) {
            long left = Math.max(0, deadline - System.nanoTime());
            if (!group.terminationFuture().await(left, TimeUnit.NANOSECONDS)) {
                logger.warn("Event loop group {} did not terminate within {} of its shutdown: one of its tasks is "
                            + "still running", group, Durations.formatNanos(boundNanos));
            }
        }
    }

    /** Runs on the thread closing admission: must not block. */
    private void closeIdleConnections() {
        logger.debug("Admission closed: closing idle connections among {} open", connections.size());
        for (DrainingConnection connection : connections) {
            connection.drainBegins();
        }
    }
}
