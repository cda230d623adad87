/**
 * The lifecycle for Netty HTTP/1.1 and HTTP/2 servers: one handler per connection (per stream for HTTP/2), and the
 * server's stop on shutdown.
 */
module dev.lifecycle.netty {
    requires transitive dev.lifecycle.core;
    requires transitive io.netty.transport;
    requires io.netty.buffer;
    requires transitive io.netty.common;
    requires io.netty.codec;
    requires io.netty.codec.http;
    // Only the HTTP/2 handlers use it (newHttp2Handler, newHttp2cHandler): HTTP/1.1 servers need not have it.
    requires static io.netty.codec.http2;
    requires org.slf4j;

    exports dev.lifecycle.netty;
}
