package dev.lifecycle.netty;

import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.Probe;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * One connection's view of the lifecycle; see {@link NettyLifecycle} for what it does.
 *
 * <h2>Pipelining</h2>
 * HTTP/1.1 answers requests in the order they arrived, so the handler keeps the requests not yet answered in a FIFO,
 * {@link #pending}: an {@link InflightRequest} for a request handed to the application ({@link #UNTRACKED} for one to
 * an excluded path), or a {@link Local} for one it answers itself (a probe, a refusal). An outgoing {@code LastHttpContent} ends the response of the head request,
 * which exits when that write completes. A local answer is written as soon as it reaches the head, so the head is
 * always a request of the application, or the FIFO is empty; a local answer never overtakes an application's one.
 *
 * <h2>Closing</h2>
 * {@code Connection: close} goes on the last response the connection will carry: while draining, on a response with
 * nothing queued behind it; requests read after it are dropped unanswered (HTTP lets the client retry them, they were
 * never processed). A connection with nothing pending is closed when admission closes, and when a response begun
 * before the drain (so without {@code Connection: close}) completes after admission closed.
 *
 * <p>Everything but {@link #closeIfIdle()} and {@link #close()} runs on the channel's event loop: no locks.
 */
final class LifecycleHandler extends ChannelDuplexHandler {

    /** A request answered by this handler: a probe, or a refusal when {@code probe} is {@code null}. */
    private record Local(Probe probe, HttpMethod method, HttpVersion version, boolean keepAlive) {
    }

    /**
     * The place in {@link #pending} of a request to an excluded path, passed on uncounted: the tracker's no-op
     * request, whose {@code exit()} and {@code markLongLived} do nothing, so that its response ends it like any other.
     */
    private static final InflightRequest UNTRACKED = InflightRequest.REFUSED;

    private final NettyLifecycle owner;
    private final Lifecycle lifecycle;
    private final InflightTracker tracker;
    private final ArrayDeque<Object> pending = new ArrayDeque<>(4);

    private ChannelHandlerContext ctx;
    /** Responses written in full whose write has not completed yet. */
    private int unfinishedResponses;
    /** Dropping the content of a request that was answered here or dropped. */
    private boolean discardingContent;
    /** Inside a 1xx response made of an {@code HttpResponse} and a {@code LastHttpContent}. */
    private boolean informational;
    /** The response being written carries {@code Connection: close}: close after it. */
    private boolean closeAfterResponse;
    /** No more requests are read: the connection is about to close. */
    private boolean closing;
    /** After {@code 101 Switching Protocols}: no longer HTTP/1.1, everything passes through. */
    private boolean upgraded;
    private InflightRequest upgradedRequest;
    /** The channel has closed or the handler was removed: every request was exited. */
    private boolean released;

    LifecycleHandler(NettyLifecycle owner) {
        this.owner = owner;
        this.lifecycle = owner.lifecycle;
        this.tracker = owner.tracker;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            register();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        register();
        ctx.fireChannelActive();
    }

    private void register() {
        owner.connections.add(this);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    /** Exits every request still counted: the connection is gone, it will never be answered. */
    private void release() {
        owner.connections.remove(this);
        if (released) {
            return;
        }
        released = true;
        for (Object entry : pending) {
            if (entry instanceof InflightRequest) {
                ((InflightRequest) entry).exit();
            }
        }
        pending.clear();
        if (upgradedRequest != null) {
            upgradedRequest.exit();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (upgraded) {
            ctx.fireChannelRead(msg);
        } else if (msg instanceof HttpRequest) {
            onRequest((HttpRequest) msg);
        } else if (discardingContent && msg instanceof HttpContent) {
            discardingContent = !(msg instanceof LastHttpContent);
            ReferenceCountUtil.release(msg);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    private void onRequest(HttpRequest request) {
        if (closing || released) {
            discard(request);
            return;
        }
        Probe probe = owner.responses.probeFor(request.uri());
        if (probe != null) {
            answerLocally(request, probe);
            return;
        }
        if (owner.excludedPaths.matches(request.uri())) {
            pending.add(UNTRACKED);
            ctx.fireChannelRead(request);
            return;
        }
        InflightRequest admitted = tracker.tryEnter(request.method().name(), request.uri());
        if (!admitted.admitted()) {
            // After admission closed this pod is going away: refuse, and close once the refusal is written.
            closing = tracker.isClosed();
            answerLocally(request, null);
            return;
        }
        pending.add(admitted);
        ctx.fireChannelRead(request);
    }

    private void answerLocally(HttpRequest request, Probe probe) {
        // A client that expects 100-continue may never send the body we would have to skip: close after answering.
        boolean keepAlive = HttpUtil.isKeepAlive(request) && !HttpUtil.is100ContinueExpected(request);
        Local local = new Local(probe, request.method(), request.protocolVersion(), keepAlive);
        discard(request);
        if (pending.isEmpty()) {
            writeLocal(local);
            ctx.flush();
        } else {
            pending.add(local);
        }
    }

    private void discard(HttpRequest request) {
        discardingContent = !(request instanceof LastHttpContent);
        ReferenceCountUtil.release(request);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (upgraded) {
            ctx.write(msg, promise);
            return;
        }
        if (msg instanceof HttpResponse && !startResponse((HttpResponse) msg)) {
            ctx.write(msg, promise);
            return;
        }
        if (msg instanceof LastHttpContent) {
            if (informational) {
                informational = false;
                ctx.write(msg, promise);
            } else {
                endResponse(msg, promise);
            }
            return;
        }
        ctx.write(msg, promise);
    }

    /**
     * Looks at the head of a response; returns {@code false} if it does not answer the head request: a 1xx
     * response, or a {@code 101} after which the connection is no longer HTTP/1.1.
     */
    private boolean startResponse(HttpResponse response) {
        int code = response.status().code();
        if (code == 101) {
            upgrade();
            return false;
        }
        if (code < 200) {
            informational = !(response instanceof LastHttpContent);
            return false;
        }
        if (!HttpUtil.isKeepAlive(response)) {
            closing = true;
            closeAfterResponse = true;
        } else if ((closing || lifecycle.isDraining()) && pending.size() <= 1) {
            HttpUtil.setKeepAlive(response, false);
            closing = true;
            closeAfterResponse = true;
        }
        return true;
    }

    private void endResponse(Object last, ChannelPromise promise) {
        InflightRequest request = pending.peek() instanceof InflightRequest ? (InflightRequest) pending.poll() : null;
        boolean close = closeAfterResponse;
        closeAfterResponse = false;
        unfinishedResponses++;
        ChannelPromise written = promise.unvoid();
        written.addListener(future -> responseWritten(request, close));
        ctx.write(last, written);
        if (pending.peek() instanceof Local) {
            while (pending.peek() instanceof Local) {
                writeLocal((Local) pending.poll());
            }
            ctx.flush();
        }
    }

    private void writeLocal(Local local) {
        FullHttpResponse response = local.probe() == null
                                    ? owner.responses.refusal(local.version())
                                    : owner.responses.probe(local.probe(), local.method(), local.version());
        boolean close = !local.keepAlive() || (closing || lifecycle.isDraining()) && pending.isEmpty();
        HttpUtil.setKeepAlive(response, !close);
        if (close) {
            closing = true;
        }
        unfinishedResponses++;
        ChannelPromise written = ctx.newPromise();
        written.addListener(future -> responseWritten(null, close));
        ctx.write(response, written);
    }

    private void responseWritten(InflightRequest request, boolean close) {
        unfinishedResponses--;
        if (request != null) {
            request.exit();
        }
        if (close || tracker.isClosed() && isIdle()) {
            ctx.close();
        }
    }

    private void upgrade() {
        upgraded = true;
        if (pending.peek() instanceof InflightRequest) {
            upgradedRequest = (InflightRequest) pending.poll();
            // The upgraded connection (a WebSocket) is told to end when admission closes: the client reconnects
            // to a replica that stays.
            upgradedRequest.markLongLived(ctx.channel()::close);
        }
    }

    private boolean isIdle() {
        return pending.isEmpty() && unfinishedResponses == 0 && !upgraded;
    }

    /** Closes the connection if nothing is pending on it. Called, from any thread, when admission closes. */
    void closeIfIdle() {
        try {
            ctx.executor().execute(() -> {
                if (!released && isIdle()) {
                    closing = true;
                    ctx.close();
                }
            });
        } catch (RejectedExecutionException e) {
            // The event loop is shutting down: it closes its channels itself.
        }
    }

    /** Closes the connection. Called, from any thread, by the stop action after the drain. */
    ChannelFuture close() {
        return ctx.channel().close();
    }
}
