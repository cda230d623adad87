package dev.lifecycle.netty;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.net.InetAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.lifecycle.core.Lifecycle;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;

/**
 * A real Netty HTTP server on 127.0.0.1 and an ephemeral port, with the lifecycle handler and a small application:
 * {@code /slow} answers when the test releases it, {@code /stream} streams chunks the test sends, {@code /boom}
 * throws, {@code /upgrade} switches protocols, {@code /chunked} answers a chunked {@code hello} in one flush
 * ({@code /chunked/big}: 64 KiB more before it), anything else answers {@code 200 hello} (or {@code posted N} with the
 * size of a request body) once the request has been read whole. Over HTTP/1.1, h2c or TLS (see {@link Protocol}).
 */
final class TestServer {

    /** A streamed response the test writes chunk by chunk. */
    static final class Stream {
        private final ChannelHandlerContext ctx;

        Stream(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        void send(String chunk) {
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(chunk, UTF_8)));
        }

        void end() {
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    /** What the server speaks. */
    enum Protocol {
        /** HTTP/1.1 only, as most servers today. */
        HTTP_1_1,
        /** Cleartext: HTTP/2 by prior knowledge or by {@code Upgrade: h2c}, else HTTP/1.1. */
        H2C,
        /** TLS with a self-signed certificate for {@code localhost}; ALPN chooses {@code h2} or {@code http/1.1}. */
        TLS
    }

    final Lifecycle lifecycle;
    final NettyLifecycle netty;
    final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    final Channel channel;
    final int port;
    private final BlockingQueue<CompletableFuture<Void>> slow = new LinkedBlockingQueue<>();
    private final BlockingQueue<Stream> streams = new LinkedBlockingQueue<>();

    TestServer(Lifecycle lifecycle) throws InterruptedException {
        this(NettyLifecycle.of(lifecycle));
    }

    TestServer(NettyLifecycle netty) throws InterruptedException {
        this(netty, Protocol.HTTP_1_1);
    }

    TestServer(NettyLifecycle netty, Protocol protocol) throws InterruptedException {
        this.netty = netty;
        this.lifecycle = netty.lifecycle;
        // Each HTTP/2 stream gets HTTP/1.1-style objects and its own application handler.
        ChannelHandler streams = new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true), new Application());
            }
        };
        SslContext tls = protocol == Protocol.TLS ? TestCertificates.serverContext() : null;
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        switch (protocol) {
                            case HTTP_1_1:
                                ch.pipeline().addLast(new HttpServerCodec(), netty.newHandler(), new Application());
                                break;
                            case H2C:
                                ch.pipeline().addLast(netty.newHttp2cHandler(streams), netty.newHandler(),
                                                      new Application());
                                break;
                            case TLS:
                                ch.pipeline().addLast(tls.newHandler(ch.alloc()), new AlpnHandler(streams));
                                break;
                            default:
                                throw new AssertionError(protocol);
                        }
                    }
                });
        channel = bootstrap.bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
        port = ((java.net.InetSocketAddress) channel.localAddress()).getPort();
        netty.stopOnShutdown(channel, boss, workers);
    }

    /** Lets the oldest held {@code /slow} request answer; fails if none arrives within 10 seconds. */
    void releaseSlow() throws InterruptedException {
        CompletableFuture<Void> next = slow.poll(10, TimeUnit.SECONDS);
        if (next == null) {
            throw new AssertionError("no /slow request is held");
        }
        next.complete(null);
    }

    /** The number of {@code /slow} requests the application holds. */
    int heldSlow() {
        return slow.size();
    }

    /** The oldest {@code /stream} response not yet taken; fails if none arrives within 10 seconds. */
    Stream nextStream() throws InterruptedException {
        Stream stream = streams.poll(10, TimeUnit.SECONDS);
        if (stream == null) {
            throw new AssertionError("no /stream request arrived");
        }
        return stream;
    }

    /** Stops the server if the lifecycle has not: releases held requests, closes the channel, stops the loops. */
    void close() throws InterruptedException {
        for (CompletableFuture<Void> held; (held = slow.poll()) != null; ) {
            held.complete(null);
        }
        channel.close().await(10, TimeUnit.SECONDS);
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        boss.terminationFuture().await(10, TimeUnit.SECONDS);
        workers.terminationFuture().await(10, TimeUnit.SECONDS);
    }

    /** After the TLS handshake: HTTP/2 or HTTP/1.1, as ALPN chose. */
    private final class AlpnHandler extends ApplicationProtocolNegotiationHandler {
        private final ChannelHandler streams;

        AlpnHandler(ChannelHandler streams) {
            super(ApplicationProtocolNames.HTTP_1_1);
            this.streams = streams;
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                ctx.pipeline().addLast(netty.newHttp2Handler(streams));
            } else {
                ctx.pipeline().addLast(new HttpServerCodec(), netty.newHandler(), new Application());
            }
        }
    }

    private final class Application extends ChannelInboundHandlerAdapter {

        /** The request being read, answered at its last content; {@code null} when none is. */
        private HttpRequest reading;
        private int bodyBytes;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest) {
                    onRequest(ctx, (HttpRequest) msg);
                }
                if (msg instanceof HttpContent && reading != null) {
                    bodyBytes += ((HttpContent) msg).content().readableBytes();
                    if (msg instanceof LastHttpContent) {
                        HttpRequest request = reading;
                        reading = null;
                        String body = HttpMethod.POST.equals(request.method()) ? "posted " + bodyBytes : "hello";
                        answer(ctx, body, HttpUtil.isKeepAlive(request));
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void onRequest(ChannelHandlerContext ctx, HttpRequest request) {
            String uri = request.uri();
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            if (uri.startsWith("/slow")) {
                CompletableFuture<Void> release = new CompletableFuture<>();
                slow.add(release);
                release.thenRun(() -> answer(ctx, uri, keepAlive));
            } else if (uri.startsWith("/chunked")) {
                HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                HttpUtil.setTransferEncodingChunked(response, true);
                HttpUtil.setKeepAlive(response, keepAlive);
                ctx.write(response);
                // "/chunked/big": 16 chunks of 4 KiB before the last one
                int chunks = uri.startsWith("/chunked/big") ? 16 : 1;
                String chunk = chunks == 1 ? "hel" : "x".repeat(4096);
                for (int i = 0; i < chunks; i++) {
                    ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer(chunk, UTF_8)));
                }
                var written = ctx.writeAndFlush(new DefaultLastHttpContent(Unpooled.copiedBuffer("lo", UTF_8)));
                if (!keepAlive) {
                    written.addListener(ChannelFutureListener.CLOSE);
                }
            } else if (uri.startsWith("/stream")) {
                HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                HttpUtil.setTransferEncodingChunked(response, true);
                ctx.write(response);
                ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer("first\n", UTF_8)));
                streams.add(new Stream(ctx));
            } else if (uri.startsWith("/boom")) {
                throw new IllegalStateException("boom");
            } else if (uri.startsWith("/upgrade")) {
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                                                        HttpResponseStatus.SWITCHING_PROTOCOLS);
                response.headers().set(HttpHeaderNames.UPGRADE, "test").set(HttpHeaderNames.CONNECTION, "upgrade");
                ctx.writeAndFlush(response).addListener(f -> ctx.pipeline().remove(HttpServerCodec.class));
            } else {
                reading = request;
                bodyBytes = 0;
            }
        }

        private void answer(ChannelHandlerContext ctx, String body, boolean keepAlive) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                                                                    Unpooled.copiedBuffer(body, UTF_8));
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            HttpUtil.setKeepAlive(response, keepAlive);
            var written = ctx.writeAndFlush(response);
            if (!keepAlive) {
                written.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
