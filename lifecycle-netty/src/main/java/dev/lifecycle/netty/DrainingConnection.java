package dev.lifecycle.netty;

import io.netty.channel.ChannelFuture;

/** A connection the lifecycle acts on when the drain begins and when the server stops, HTTP/1.1 or HTTP/2. */
interface DrainingConnection {

    /**
     * The drain has begun: an HTTP/1.1 connection closes if idle, an HTTP/2 connection starts its graceful GOAWAY.
     * Called from any thread; must not block.
     */
    void drainBegins();

    /** Closes the connection now. Called, from any thread, by the stop action after the drain. */
    ChannelFuture close();
}
