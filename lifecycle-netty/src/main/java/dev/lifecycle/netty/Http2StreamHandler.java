package dev.lifecycle.netty;

import java.util.concurrent.RejectedExecutionException;

import dev.lifecycle.core.DrainPolicy;
import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Probe;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;

/**
 * One HTTP/2 stream's view of the lifecycle, first in the stream's child channel. It counts the stream from its
 * request's HEADERS frame until the write of the end of its response completes (a frame with {@code END_STREAM}, or a
 * {@code RST_STREAM}); a stream reset or closed before that is released. It answers the probes itself, off the event
 * loop, and refuses a stream that is not admitted: with {@code REFUSED_STREAM} once admission has closed at the end of
 * a {@code SERVE_AND_CLOSE} drain (the stream was never processed, so any client may retry it on another connection),
 * else with the lifecycle's refusal ({@code 503} while the service starts, {@code 503} or {@code 429} during a
 * {@code REJECT_*} drain). The request frames of a stream answered here are dropped.
 *
 * <p>Everything but {@link #evaluate} (on the probe executor) runs on the channel's event loop.
 */
final class Http2StreamHandler extends ChannelDuplexHandler {

    private final NettyLifecycle owner;
    private final InflightTracker tracker;

    /** The request's HEADERS frame has been read. */
    private boolean started;
    /** Answered here: the request's frames are dropped. */
    private boolean answeredHere;
    /** Counted until the end of its response is written; {@code null} before, after, and when not counted. */
    private InflightRequest request;
    /** The stream has closed or the handler was removed. Volatile only so that a queued probe skips its checks. */
    private volatile boolean released;

    Http2StreamHandler(NettyLifecycle owner) {
        this.owner = owner;
        this.tracker = owner.tracker;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (answeredHere) {
            ReferenceCountUtil.release(msg);
        } else if (!started && msg instanceof Http2HeadersFrame) {
            started = true;
            onRequest(ctx, (Http2HeadersFrame) msg);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    private void onRequest(ChannelHandlerContext ctx, Http2HeadersFrame frame) {
        Http2Headers headers = frame.headers();
        String method = headers.method() == null ? "" : headers.method().toString();
        String path = headers.path() == null ? "" : headers.path().toString();
        Probe probe = owner.responses.probeFor(path);
        if (probe != null) {
            answeredHere = true;
            ReferenceCountUtil.release(frame);
            answerProbe(ctx, probe, HttpMethod.valueOf(method.isEmpty() ? "GET" : method));
            return;
        }
        if (owner.excludedPaths.matches(path)) {
            ctx.fireChannelRead(frame);
            return;
        }
        InflightRequest admitted = tracker.tryEnter(method, path);
        if (!admitted.admitted()) {
            answeredHere = true;
            ReferenceCountUtil.release(frame);
            if (tracker.isDraining() && owner.lifecycle.drainPolicy() == DrainPolicy.SERVE_AND_CLOSE) {
                // The drain is over (nothing was left in flight): never processed, so safe for a client to retry.
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM));
            } else {
                // Starting, failed, or the user's choice to shed with 503 or 429 during the drain.
                boolean head = "HEAD".equals(method);
                write(ctx, LocalResponses.translate(owner.responses.refusal(), HttpVersion.HTTP_1_1, head));
            }
            return;
        }
        request = admitted;
        ctx.fireChannelRead(frame);
    }

    private void answerProbe(ChannelHandlerContext ctx, Probe probe, HttpMethod method) {
        if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
            write(ctx, owner.responses.probe(probe, method, HttpVersion.HTTP_1_1)); // a 405: no check runs
            return;
        }
        try {
            owner.probeExecutor.execute(() -> evaluate(ctx, probe, method));
        } catch (RejectedExecutionException e) {
            write(ctx, owner.responses.probe(probe, method, HttpVersion.HTTP_1_1));
        }
    }

    /** Runs on the probe executor. */
    private void evaluate(ChannelHandlerContext ctx, Probe probe, HttpMethod method) {
        if (released) {
            return;
        }
        FullHttpResponse response;
        try {
            response = owner.responses.probe(probe, method, HttpVersion.HTTP_1_1);
        } catch (Throwable e) {
            // Checks' exceptions are caught by the lifecycle: this is unexpected (an Error). Reset the stream.
            ctx.executor().execute(() -> {
                ctx.fireExceptionCaught(e);
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.INTERNAL_ERROR));
            });
            return;
        }
        try {
            ctx.executor().execute(() -> {
                if (released) {
                    response.release();
                } else {
                    write(ctx, response);
                }
            });
        } catch (RejectedExecutionException e) {
            response.release(); // the event loop is shutting down: it closes its channels itself
        }
    }

    /** Writes a local answer as HTTP/2 frames: its headers (connection-specific ones dropped) and its body. */
    private static void write(ChannelHandlerContext ctx, FullHttpResponse response) {
        Http2Headers headers = HttpConversionUtil.toHttp2Headers(response, false);
        if (response.content().isReadable()) {
            ctx.write(new DefaultHttp2HeadersFrame(headers, false));
            ctx.writeAndFlush(new DefaultHttp2DataFrame(response.content(), true));
        } else {
            response.release();
            ctx.writeAndFlush(new DefaultHttp2HeadersFrame(headers, true));
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (request != null && endsResponse(msg)) {
            InflightRequest ended = request;
            request = null;
            ChannelPromise written = promise.unvoid();
            written.addListener(future -> ended.exit());
            ctx.write(msg, written);
            return;
        }
        ctx.write(msg, promise);
    }

    private static boolean endsResponse(Object msg) {
        return msg instanceof Http2HeadersFrame && ((Http2HeadersFrame) msg).isEndStream()
               || msg instanceof Http2DataFrame && ((Http2DataFrame) msg).isEndStream()
               || msg instanceof Http2ResetFrame;
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

    /** Exits a request still counted: the stream is gone, its response will never end. */
    private void release() {
        released = true;
        if (request != null) {
            request.exit();
            request = null;
        }
    }
}
