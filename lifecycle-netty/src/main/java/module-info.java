/**
 * The lifecycle for Netty HTTP servers: one handler per connection (HTTP/1.1, or HTTP/2 when
 * {@code netty-codec-http2} is there: {@code requires static}), and the server's stop on shutdown.
 */
module dev.lifecycle.netty {
    requires transitive dev.lifecycle.core;
    requires transitive io.netty.transport;
    requires io.netty.buffer;
    requires transitive io.netty.common;
    requires io.netty.codec;
    requires io.netty.codec.http;
    requires static io.netty.codec.http2;
    requires org.slf4j;

    exports dev.lifecycle.netty;
}
