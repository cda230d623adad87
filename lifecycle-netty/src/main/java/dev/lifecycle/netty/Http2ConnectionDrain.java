package dev.lifecycle.netty;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameStreamEvent;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * Drains one HTTP/2 connection, right after its {@link Http2FrameCodec}: the graceful two-step {@code GOAWAY} of
 * RFC 9113 section 6.8, as gRPC, Armeria and Envoy send it.
 *
 * <p>When the drain begins, a first {@code GOAWAY} with the largest stream id tells the client to open no more streams
 * here, while every stream it may already have sent stays acceptable; a {@code PING} follows. The client answers the
 * {@code PING} after everything it sent before it, so once the {@code PING} ACK arrives, every stream the client opened
 * before it saw the first {@code GOAWAY} has arrived: the final {@code GOAWAY} then names the last stream really
 * received, and the connection closes once its last stream has ended. Without an ACK within
 * {@link #PING_TIMEOUT_SECONDS} seconds the final {@code GOAWAY} goes anyway. A stop action that closes the connection first sends the final {@code GOAWAY}
 * if it has not gone yet, so that the client knows which streams were never processed.
 *
 * <p>A connection that has not carried a stream yet when the drain begins (one opened during the drain) gets its first
 * {@code GOAWAY} once its first streams have ended instead: its client has just connected to send a request, and some
 * clients fail the requests they have in flight on any {@code GOAWAY}, even a graceful one (the JDK {@code HttpClient}
 * before JDK 24, JDK-8335181), so the request is served first, as HTTP/1.1 serves it with {@code Connection: close}.
 *
 * <p>Everything but {@link #drainBegins()} and {@link #close()} runs on the channel's event loop.
 */
final class Http2ConnectionDrain extends ChannelDuplexHandler implements DrainingConnection {

    /** The payload of the drain's {@code PING}, so that its ACK is told apart from the ACKs of other pings. */
    static final long DRAIN_PING = 0x6c6966656379636cL; // "lifecycl"
    /** As grpc-java's server: a client that never answers only delays the final {@code GOAWAY}. */
    static final long PING_TIMEOUT_SECONDS = 10;

    private final NettyLifecycle owner;
    private final Http2FrameCodec codec;
    private ChannelHandlerContext ctx;
    /** The drain has begun on a connection without streams yet: the first {@code GOAWAY} waits for them to end. */
    private boolean goAwayDeferred;
    private boolean firstGoAwaySent;
    private boolean finalGoAwaySent;
    /** Streams were active when the first {@code GOAWAY} went: the connection ends after a response, not idle. */
    private boolean busyAtGoAway;
    private ScheduledFuture<?> pingTimeout;

    Http2ConnectionDrain(NettyLifecycle owner, Http2FrameCodec codec) {
        this.owner = owner;
        this.codec = codec;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            register(); // after ALPN, or by an h2c upgrade
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        register();
        ctx.fireChannelActive();
    }

    /** Joins the connections the drain acts on; one opened after the drain began is drained at once. */
    private void register() {
        owner.connections.add(this);
        if (owner.tracker.isDraining()) {
            drainBegins();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        forget();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        forget();
    }

    private void forget() {
        owner.connections.remove(this);
        if (pingTimeout != null) {
            pingTimeout.cancel(false);
        }
    }

    @Override
    public void drainBegins() {
        onEventLoop(() -> {
            if (codec.connection().remote().lastStreamCreated() == 0) {
                goAwayDeferred = true;
            } else {
                sendFirstGoAway();
            }
        });
    }

    private void sendFirstGoAway() {
        if (firstGoAwaySent || !ctx.channel().isActive()) {
            return;
        }
        firstGoAwaySent = true;
        busyAtGoAway = codec.connection().numActiveStreams() > 0;
        // extraStreamIds: the codec adds them to the last stream created; it caps the sum at the largest stream id.
        ctx.write(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR).setExtraStreamIds(Integer.MAX_VALUE));
        ctx.writeAndFlush(new DefaultHttp2PingFrame(DRAIN_PING));
        pingTimeout = ctx.executor().schedule(this::sendFinalGoAway, PING_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2PingFrame && ((Http2PingFrame) msg).ack()
            && ((Http2PingFrame) msg).content() == DRAIN_PING) {
            ReferenceCountUtil.release(msg);
            sendFinalGoAway();
            return;
        }
        ctx.fireChannelRead(msg);
    }

    private void sendFinalGoAway() {
        if (finalGoAwaySent || !ctx.channel().isActive()) {
            return;
        }
        finalGoAwaySent = true;
        if (pingTimeout != null) {
            pingTimeout.cancel(false);
        }
        // No extra stream ids: the last stream the client created; the codec ignores streams above it from now on.
        ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
        closeIfDone();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        ctx.fireUserEventTriggered(evt);
        if ((finalGoAwaySent || goAwayDeferred) && evt instanceof Http2FrameStreamEvent
            && ((Http2FrameStreamEvent) evt).stream().state() == Http2Stream.State.CLOSED) {
            // Later: the stream may still count as active while its closing is being announced.
            onEventLoop(this::streamEnded);
        }
    }

    private void streamEnded() {
        if (goAwayDeferred && codec.connection().numActiveStreams() == 0) {
            goAwayDeferred = false;
            sendFirstGoAway();
        } else if (finalGoAwaySent) {
            closeIfDone();
        }
    }

    private void closeIfDone() {
        if (codec.connection().numActiveStreams() == 0 && ctx.channel().isActive()) {
            if (busyAtGoAway) {
                owner.lifecycle.connections().closedAfterResponse();
            } else {
                owner.lifecycle.connections().closedIdle(1);
            }
            ctx.close();
        }
    }

    @Override
    public String toString() {
        return "Http2ConnectionDrain[" + ctx.channel() + ", deferred=" + goAwayDeferred + ", first=" + firstGoAwaySent
               + ", final=" + finalGoAwaySent + ", active=" + codec.connection().numActiveStreams() + ']';
    }

    @Override
    public ChannelFuture close() {
        try {
            ctx.executor().execute(() -> {
                if (firstGoAwaySent && !finalGoAwaySent) {
                    finalGoAwaySent = true;
                    ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
                }
                ctx.channel().close();
            });
            return ctx.channel().closeFuture();
        } catch (RejectedExecutionException e) {
            return ctx.channel().close();
        }
    }

    private void onEventLoop(Runnable task) {
        try {
            ctx.executor().execute(task);
        } catch (RejectedExecutionException e) {
            // The event loop is shutting down: it closes its channels itself.
        }
    }
}
