package dev.lifecycle.netty;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.net.InetAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;

/**
 * Netty's own HTTP/2 client with prior knowledge, for what the JDK client hides: it records the connection-level
 * frames the server sends ({@code GOAWAY n}, {@code PING}), leaves acknowledging a {@code PING} to the test (which
 * can open a stream first, as a client that had not yet seen the {@code GOAWAY}), and reports each stream's outcome
 * as {@code "200 body"}, {@code "RST n"} or {@code "closed"}.
 */
final class Http2TestClient implements AutoCloseable {

    private final EventLoopGroup group = EventLoops.nio(1);
    private final int port;
    final Channel connection;
    /** {@code "GOAWAY <last stream id>"} and {@code "PING"}, in the order they arrived. */
    final BlockingQueue<String> frames = new LinkedBlockingQueue<>();

    Http2TestClient(int port) throws InterruptedException {
        this.port = port;
        connection = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().autoAckPingFrame(false).build(),
                                              new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
                                              new ConnectionFrames());
                    }
                })
                .connect(InetAddress.getLoopbackAddress(), port).sync().channel();
    }

    /** The next connection-level frame, waiting up to 10 seconds; fails if none arrives. */
    String nextFrame() throws InterruptedException {
        String frame = frames.poll(10, TimeUnit.SECONDS);
        if (frame == null) {
            throw new AssertionError("no GOAWAY or PING arrived");
        }
        return frame;
    }

    /** A stream, opened from any thread; call its methods on its event loop or through {@link #request}. */
    static final class Stream extends ChannelInboundHandlerAdapter {
        final CompletableFuture<String> outcome = new CompletableFuture<>();
        /** The response's first HEADERS frame, as sent: nothing hidden or dropped by a client. */
        final CompletableFuture<Http2Headers> responseHeaders = new CompletableFuture<>();
        private final StringBuilder body = new StringBuilder();
        private String status;
        Http2StreamChannel channel;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                boolean end = false;
                if (msg instanceof Http2HeadersFrame) {
                    Http2HeadersFrame headers = (Http2HeadersFrame) msg;
                    if (status == null) {
                        status = String.valueOf(headers.headers().status());
                        responseHeaders.complete(headers.headers());
                    }
                    end = headers.isEndStream();
                } else if (msg instanceof Http2DataFrame) {
                    body.append(((Http2DataFrame) msg).content().toString(UTF_8));
                    end = ((Http2DataFrame) msg).isEndStream();
                }
                if (end) {
                    outcome.complete(status + " " + body);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof Http2ResetFrame) {
                outcome.complete("RST " + ((Http2ResetFrame) evt).errorCode());
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            outcome.complete("closed");
        }

        /** Resets the stream, as a client that gives up does. */
        void cancel() {
            channel.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL));
        }
    }

    /**
     * Opens a stream and sends {@code method path} on it, with {@code body} if not {@code null}. The returned future
     * completes once the request's frames are written.
     */
    CompletableFuture<Stream> request(String method, String path, String body) {
        Stream stream = new Stream();
        CompletableFuture<Stream> written = new CompletableFuture<>();
        new Http2StreamChannelBootstrap(connection).handler(stream).open().addListener(opened -> {
            if (!opened.isSuccess()) {
                written.completeExceptionally(opened.cause());
                return;
            }
            stream.channel = (Http2StreamChannel) opened.getNow();
            Http2Headers headers = new DefaultHttp2Headers().method(method).path(path).scheme("http")
                                                            .authority("127.0.0.1:" + port);
            stream.channel.write(new DefaultHttp2HeadersFrame(headers, body == null));
            if (body != null) {
                stream.channel.write(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(body, UTF_8), true));
            }
            stream.channel.flush();
            written.complete(stream);
        });
        return written;
    }

    /** Acknowledges a {@code PING} of the server, as {@code autoAckPingFrame} would have at once. */
    void ackPing(long content) {
        connection.writeAndFlush(new DefaultHttp2PingFrame(content, true));
    }

    /** The content of the last {@code PING} received. */
    volatile long lastPing;

    private final class ConnectionFrames extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2GoAwayFrame) {
                    frames.add("GOAWAY " + ((Http2GoAwayFrame) msg).lastStreamId());
                } else if (msg instanceof Http2PingFrame && !((Http2PingFrame) msg).ack()) {
                    lastPing = ((Http2PingFrame) msg).content();
                    frames.add("PING");
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    @Override
    public void close() {
        connection.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
