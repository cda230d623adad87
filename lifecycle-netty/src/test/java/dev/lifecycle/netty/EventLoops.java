package dev.lifecycle.netty;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;

/** Event loops for the tests, on the API that Netty 4.1 and 4.2 share: the tests run on both (-Pnetty-4.1). */
final class EventLoops {

    private EventLoops() {
    }

    // NioEventLoopGroup is deprecated in 4.2 for MultiThreadIoEventLoopGroup, which 4.1 does not have.
    @SuppressWarnings("deprecation")
    static EventLoopGroup nio(int threads) {
        return new NioEventLoopGroup(threads);
    }
}
