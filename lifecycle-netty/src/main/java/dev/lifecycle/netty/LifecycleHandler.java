package dev.lifecycle.netty;

import java.util.concurrent.RejectedExecutionException;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.LocalResponse;
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
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * One connection's view of the lifecycle; see {@link NettyLifecycle} for what it does.
 *
 * <h2>Pipelining</h2>
 * HTTP/1.1 answers requests in the order they arrived: the requests not answered yet wait in {@link #pending}, each
 * an {@link InflightRequest} handed to the application or a {@link LocalAnswer} the handler writes itself. An
 * outgoing {@code LastHttpContent} ends the response of the head request, which exits when that write completes; a
 * local answer is written as soon as it is ready and at the head, so it never overtakes an application's one.
 *
 * <h2>Probes off the event loop</h2>
 * A probe runs health checks, which may block (a liveness check waiting for a pool connection), so its answer is
 * computed on the probe executor, then handed back to the event loop, which writes it once it reaches the head of
 * {@link #pending}. Until then the connection is <em>held</em>: the messages read meanwhile go to {@link #held}
 * rather than on, since a request handed to the application now could be answered before the probe. The probe's own
 * content is dropped at once instead, so that a connection carrying nothing more keeps reading and its close is seen
 * while the checks run. Once the probe's answer is written, the held messages are replayed in order through the
 * usual path (one of them may be a probe that holds the connection again, the rest then stays held behind it), and
 * reading resumes. An answer computed for a connection that has gone is released.
 *
 * <h2>Closing</h2>
 * {@code Connection: close} goes on the last response the connection will carry: while draining, on a response with
 * nothing queued behind it; requests read after it are dropped unanswered (HTTP lets the client retry them, they were
 * never processed). When the drain begins, a keep-alive connection with nothing pending is closed (a FIN: its client
 * reconnects through the Service), unless it has not carried a request yet: its client has just connected and is
 * about to send one, which is served with {@code Connection: close}. A response begun before the drain (so without
 * {@code Connection: close}) that completes during it closes its connection once nothing else is pending.
 *
 * <p>Everything but {@link #drainBegins()}, {@link #close()} and {@link #evaluate} (on the probe executor) runs on the
 * channel's event loop: no locks.
 */
final class LifecycleHandler extends ChannelDuplexHandler implements DrainingConnection {

    /**
     * The place in {@link #pending} of a request to an excluded path, passed on uncounted: the tracker's no-op
     * request, whose {@code exit()} and {@code markLongLived} do nothing, so that its response ends it like any other.
     */
    private static final InflightRequest UNTRACKED = InflightRequest.REFUSED;

    private final NettyLifecycle owner;
    private final Lifecycle lifecycle;
    private final InflightTracker tracker;
    private final PendingResponses pending = new PendingResponses();

    private ChannelHandlerContext ctx;
    private HeldReads held;
    /** Responses written in full whose write has not completed yet. */
    private int unfinishedResponses;
    /** Dropping the content of a request that was answered here or dropped. */
    private boolean discardingContent;
    /** Inside a 1xx response made of an {@code HttpResponse} and a {@code LastHttpContent}. */
    private boolean informational;
    /** The response being written carries {@code Connection: close}: close after it. */
    private boolean closeAfterResponse;
    /**
     * A request has arrived on this connection. One that has carried none is not idle when the drain begins: its
     * client has just connected to send a request, which is served (with {@code Connection: close}) rather than cut.
     */
    private boolean used;
    /** No more requests are read: the connection is about to close. */
    private boolean closing;
    /** After {@code 101 Switching Protocols}: no longer HTTP/1.1, everything passes through. */
    private boolean upgraded;
    private InflightRequest upgradedRequest;
    /** The probe whose answer is being computed or waits to be written: the connection is held until it is written. */
    private LocalAnswer holding;
    /**
     * The channel has closed or the handler was removed: every request was exited. Volatile only so that a probe
     * still queued on the probe executor skips its checks.
     */
    private volatile boolean released;

    LifecycleHandler(NettyLifecycle owner) {
        this.owner = owner;
        this.lifecycle = owner.lifecycle;
        this.tracker = owner.tracker;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        held = new HeldReads(ctx.channel());
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
        pending.releaseAll();
        holding = null;
        held.releaseAll();
        if (upgradedRequest != null) {
            upgradedRequest.exit();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        ctx.fireUserEventTriggered(evt);
        if (evt instanceof HttpServerUpgradeHandler.UpgradeEvent) {
            // An h2c upgrade: the connection now speaks HTTP/2, whose handlers drain it; this one has nothing to do.
            ctx.pipeline().remove(this);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (held.isEmpty() && (holding == null || discardingContent && msg instanceof HttpContent)) {
            read(msg);
        } else {
            held.hold(msg);
        }
    }

    private void read(Object msg) {
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
        used = true;
        if (closing || released) {
            discard(request);
            return;
        }
        if (request.decoderResult().isFailure()) {
            // A header or line too long, a malformed request: Netty's decoder now drops whatever else the connection
            // sends. Answer it here, as servlet containers do, never as a probe nor through the application, and close.
            closing = true;
            FullHttpResponse response =
                    owner.responses.badRequest(LocalResponses.statusFor(request.decoderResult().cause()));
            discard(request);
            queue(new LocalAnswer(false, response));
            return;
        }
        String uri = request.uri();
        Probe probe = owner.responses.probeFor(uri);
        if (probe != null) {
            answerProbe(request, probe);
            return;
        }
        if (owner.excludedPaths.matches(uri)) {
            pending.add(UNTRACKED);
            ctx.fireChannelRead(request);
            return;
        }
        InflightRequest admitted = tracker.tryEnter(request.method().name(), uri);
        if (!admitted.admitted()) {
            // Starting, failed, or admission closed for good: refuse, and close once the refusal is written.
            LocalResponse refusal = owner.responses.refusal();
            closing = refusal.closeConnection();
            boolean head = HttpMethod.HEAD.equals(request.method());
            answerLocally(request, LocalResponses.translate(refusal, request.protocolVersion(), head));
            return;
        }
        pending.add(admitted);
        ctx.fireChannelRead(request);
    }

    private void answerProbe(HttpRequest request, Probe probe) {
        HttpMethod method = request.method();
        HttpVersion version = request.protocolVersion();
        if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
            answerLocally(request, owner.responses.probe(probe, method, version)); // a 405: no check runs
            return;
        }
        LocalAnswer local = new LocalAnswer(isKeepAlive(request), null);
        discard(request);
        try {
            owner.probeExecutor.execute(() -> evaluate(local, probe, method, version));
        } catch (RejectedExecutionException e) {
            // Better late on the event loop than never.
            local.complete(owner.responses.probe(probe, method, version));
            queue(local);
            return;
        }
        pending.add(local);
        holding = local;
    }

    /** Runs on the probe executor. */
    private void evaluate(LocalAnswer local, Probe probe, HttpMethod method, HttpVersion version) {
        if (released) {
            return;
        }
        FullHttpResponse response;
        try {
            response = owner.responses.probe(probe, method, version);
        } catch (Throwable e) {
            // Checks' exceptions are caught by the lifecycle: this is unexpected (an Error). As on the event loop,
            // it goes down the pipeline; the connection, whose probe will never be answered, is closed.
            onEventLoop(() -> {
                if (!released) {
                    ctx.fireExceptionCaught(e);
                    ctx.close();
                }
            });
            return;
        }
        if (!onEventLoop(() -> probeAnswered(local, response))) {
            response.release();
        }
    }

    private void probeAnswered(LocalAnswer local, FullHttpResponse response) {
        if (released) {
            response.release();
            return;
        }
        local.complete(response);
        writeReadyLocals();
    }

    /** Replays the held messages, in order, until one of them holds the connection again; then reads again. */
    private void resume() {
        if (released || holding != null || !ctx.channel().isActive()) {
            return; // holding again already, or closing: release() comes next
        }
        boolean replayed = false;
        for (Object msg; holding == null && (msg = held.next()) != null; ) {
            read(msg);
            replayed = true;
        }
        if (released) {
            return;
        }
        if (replayed) {
            ctx.fireChannelReadComplete();
        }
        held.resumeReading();
        if (tracker.isDraining() && isIdle()) {
            closeIdle();
        }
    }

    private boolean onEventLoop(Runnable task) {
        try {
            ctx.executor().execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false; // the event loop is shutting down: it closes its channels itself
        }
    }

    private void answerLocally(HttpRequest request, FullHttpResponse response) {
        discard(request);
        queue(new LocalAnswer(isKeepAlive(request), response));
    }

    private static boolean isKeepAlive(HttpRequest request) {
        // A client that expects 100-continue may never send the body we would have to skip: close after answering.
        return HttpUtil.isKeepAlive(request) && !HttpUtil.is100ContinueExpected(request);
    }

    /** Writes a ready local answer now if nothing is ahead of it, else queues it. */
    private void queue(LocalAnswer local) {
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
        InflightRequest request = pending.pollApplication();
        boolean close = closeAfterResponse;
        closeAfterResponse = false;
        unfinishedResponses++;
        ChannelPromise written = promise.unvoid();
        written.addListener(future -> responseWritten(request, close));
        ctx.write(last, written);
        writeReadyLocals();
    }

    /** Writes the local answers at the head of {@link #pending} that are ready. */
    private void writeReadyLocals() {
        boolean wrote = false;
        for (LocalAnswer local; (local = pending.pollReadyLocal()) != null; ) {
            writeLocal(local);
            wrote = true;
        }
        if (wrote) {
            ctx.flush();
        }
    }

    private void writeLocal(LocalAnswer local) {
        FullHttpResponse response = local.take();
        boolean close = !local.keepAlive || (closing || lifecycle.isDraining()) && pending.isEmpty();
        HttpUtil.setKeepAlive(response, !close);
        if (close) {
            closing = true;
        }
        unfinishedResponses++;
        ChannelPromise written = ctx.newPromise();
        written.addListener(future -> responseWritten(null, close));
        ctx.write(response, written);
        if (local == holding) {
            holding = null;
            // Not from here, which may be inside a write of the application.
            onEventLoop(this::resume);
        }
    }

    private void responseWritten(InflightRequest request, boolean close) {
        unfinishedResponses--;
        if (request != null) {
            request.exit();
        }
        if (close) {
            if (lifecycle.isDraining() && ctx.channel().isActive()) {
                lifecycle.connections().closedAfterResponse();
            }
            ctx.close();
        } else if (tracker.isDraining() && isIdle()) {
            // A response begun before the drain, so without Connection: close, ended during it.
            closeIdle();
        }
    }

    private void upgrade() {
        upgraded = true;
        InflightRequest request = pending.pollApplication();
        if (request != null) {
            upgradedRequest = request;
            // The upgraded connection (a WebSocket) is told to end when admission closes: the client reconnects
            // to a replica that stays.
            upgradedRequest.markLongLived(ctx.channel()::close);
        }
    }

    /** Closes a connection that has nothing pending during the drain, as the lifecycle's idle-connection count. */
    private void closeIdle() {
        closing = true;
        if (ctx.channel().isActive()) {
            lifecycle.connections().closedIdle(1);
        }
        ctx.close();
    }

    private boolean isIdle() {
        return pending.isEmpty() && held.isEmpty() && unfinishedResponses == 0 && !upgraded;
    }

    /** Closes the connection if nothing is pending on it and it has carried a request. */
    @Override
    public void drainBegins() {
        try {
            ctx.executor().execute(() -> {
                if (!released && used && isIdle()) {
                    closeIdle();
                }
            });
        } catch (RejectedExecutionException e) {
            // The event loop is shutting down: it closes its channels itself.
        }
    }

    @Override
    public ChannelFuture close() {
        return ctx.channel().close();
    }
}
