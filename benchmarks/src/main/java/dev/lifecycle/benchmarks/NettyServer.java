package dev.lifecycle.benchmarks;

import java.util.function.Consumer;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.AsciiString;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.netty.NettyLifecycle;

/**
 * The "hello" endpoint on Netty: HTTP/1.1 bare, with a pass-through duplex handler, or with the lifecycle handler;
 * h2c (prior knowledge or upgrade, else HTTP/1.1) bare, or with the lifecycle's h2c handler.
 */
final class NettyServer {

    private static final ByteBuf BODY = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(EndToEndServer.BODY));

    private NettyServer() {
    }

    static void start(int port, Lifecycle lifecycle, boolean noopHandler) throws InterruptedException {
        NettyLifecycle netty = lifecycle == null ? null : NettyLifecycle.of(lifecycle);
        bind(port, pipeline -> {
            pipeline.addLast(new HttpServerCodec());
            if (netty != null) {
                pipeline.addLast(netty.newHandler());
            }
            if (noopHandler) {
                pipeline.addLast(new ChannelDuplexHandler());
            }
            pipeline.addLast(new Hello());
        });
    }

    /**
     * h2c as in the examples: with the lifecycle, {@code NettyLifecycle.newHttp2cHandler(streams)} then its HTTP/1.1
     * handler; bare, the same Netty handlers without the lifecycle's (the frame codec and a multiplexer, on prior
     * knowledge or {@code Upgrade: h2c}). Each stream: {@code Http2StreamFrameToHttpObjectCodec} and {@link Hello}.
     */
    static void startH2c(int port, Lifecycle lifecycle) throws InterruptedException {
        NettyLifecycle netty = lifecycle == null ? null : NettyLifecycle.of(lifecycle);
        ChannelHandler streams = new ChannelInitializer<Http2StreamChannel>() { // @Sharable: one for every stream
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true), new Hello());
            }
        };
        bind(port, pipeline -> {
            if (netty != null) {
                pipeline.addLast(netty.newHttp2cHandler(streams), netty.newHandler(), new Hello());
            } else {
                pipeline.addLast(bareHttp2c(streams), new Hello());
            }
        });
    }

    /** Listens on loopback {@code port} with one event loop; {@code handlers} fills each connection's pipeline. */
    private static void bind(int port, Consumer<ChannelPipeline> handlers) throws InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        handlers.accept(ch.pipeline());
                    }
                })
                .bind("127.0.0.1", port).sync();
    }

    /** Netty's own h2c set-up: what {@code newHttp2cHandler} builds, less the lifecycle's handlers. */
    private static ChannelHandler bareHttp2c(ChannelHandler streams) {
        HttpServerCodec http1 = new HttpServerCodec();
        HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(http1, protocol ->
                AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                ? new Http2ServerUpgradeCodec(Http2FrameCodecBuilder.forServer().build(),
                                              new Http2MultiplexHandler(streams))
                : null, 64 * 1024);
        return new CleartextHttp2ServerUpgradeHandler(http1, upgrade, new ChannelHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                // In place, not at the end: the HTTP/1.1 handler follows.
                String name = ctx.name();
                ctx.pipeline().addAfter(name, name + "-codec", Http2FrameCodecBuilder.forServer().build())
                   .addAfter(name + "-codec", name + "-streams", new Http2MultiplexHandler(streams))
                   .remove(this);
            }
        });
    }

    /** Answers "hello" once the request's last content has arrived. */
    private static final class Hello extends SimpleChannelInboundHandler<HttpObject> {
        private boolean keepAlive;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg instanceof io.netty.handler.codec.http.HttpRequest request) {
                keepAlive = HttpUtil.isKeepAlive(request);
            }
            if (msg instanceof LastHttpContent) {
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                                                                        BODY.duplicate());
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain")
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, EndToEndServer.BODY.length);
                if (keepAlive) {
                    ctx.writeAndFlush(response);
                } else {
                    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // wrk resets its connections at the end of a round: nothing to report
        }
    }
}
