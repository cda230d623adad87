/** The lifecycle for Netty HTTP servers: one handler per connection, and the server's stop on shutdown. */
module dev.lifecycle.netty {
    requires transitive dev.lifecycle.core;
    requires transitive io.netty.transport;
    requires io.netty.buffer;
    requires io.netty.common;
    requires io.netty.codec;
    requires io.netty.codec.http;
    requires org.slf4j;

    exports dev.lifecycle.netty;
}
