package dev.lifecycle.netty;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AsciiString;

/**
 * Builds the handlers of an HTTP/2 connection: Netty's frame codec, the lifecycle's {@link Http2ConnectionDrain} and
 * a multiplexer whose stream channels start with an {@link Http2StreamHandler}, then the user's stream handler. Kept
 * apart from {@link NettyLifecycle} so that {@code netty-codec-http2} is needed only by servers that speak HTTP/2.
 */
final class Http2Handlers {

    /** The largest upgrade request whose body the h2c upgrade reads before switching. */
    static final int MAX_UPGRADE_CONTENT_LENGTH = 64 * 1024;

    private Http2Handlers() {
    }

    static ChannelHandler requireSharable(ChannelHandler streamHandler) {
        if (streamHandler == null) {
            throw new NullPointerException("streamHandler cannot be null");
        }
        if (!streamHandler.getClass().isAnnotationPresent(ChannelHandler.Sharable.class)) {
            throw new IllegalArgumentException("streamHandler: " + streamHandler.getClass().getName()
                                               + " (expected: @Sharable, such as a ChannelInitializer)");
        }
        return streamHandler;
    }

    private static Http2FrameCodec newCodec() {
        // No graceful wait when the stop action closes a connection after the drain: what is left is cut.
        return Http2FrameCodecBuilder.forServer().gracefulShutdownTimeoutMillis(0).build();
    }

    private static Http2MultiplexHandler newMultiplexer(NettyLifecycle owner, ChannelHandler streamHandler) {
        return new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.pipeline().addLast(new Http2StreamHandler(owner), streamHandler);
            }
        });
    }

    /** The handlers of a connection that speaks HTTP/2 from its first byte, set up in place of this one. */
    static ChannelHandler http2(NettyLifecycle owner, ChannelHandler streamHandler) {
        return new ChannelHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                Http2FrameCodec codec = newCodec();
                String name = ctx.name();
                // In place, not at the end: HTTP/1.1 handlers may follow, as after CleartextHttp2ServerUpgradeHandler.
                // In this order: the multiplexer looks for the codec before it when added.
                ctx.pipeline().addAfter(name, name + "-http2-codec", codec)
                   .addAfter(name + "-http2-codec", name + "-http2-drain", new Http2ConnectionDrain(owner, codec))
                   .addAfter(name + "-http2-drain", name + "-http2-streams", newMultiplexer(owner, streamHandler))
                   .remove(this);
            }
        };
    }

    /** The codec that switches an HTTP/1.1 connection to HTTP/2 on {@code Upgrade: h2c}. */
    static HttpServerUpgradeHandler.UpgradeCodec upgradeCodec(NettyLifecycle owner, ChannelHandler streamHandler) {
        Http2FrameCodec codec = newCodec();
        return new Http2ServerUpgradeCodec(codec, new Http2ConnectionDrain(owner, codec),
                                           newMultiplexer(owner, streamHandler));
    }

    /** h2c: HTTP/2 with prior knowledge or by upgrade, else HTTP/1.1 to the handlers after it. */
    static ChannelHandler cleartext(NettyLifecycle owner, ChannelHandler streamHandler) {
        HttpServerCodec http1 = new HttpServerCodec();
        HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(http1, protocol ->
                AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                ? upgradeCodec(owner, streamHandler) : null, MAX_UPGRADE_CONTENT_LENGTH);
        return new CleartextHttp2ServerUpgradeHandler(http1, upgrade, http2(owner, streamHandler));
    }
}
