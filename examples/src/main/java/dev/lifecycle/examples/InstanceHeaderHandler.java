package dev.lifecycle.examples;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Adds {@code X-Instance} to every response on Netty, so that a rollout shows which replica answered. It goes right
 * after {@code HttpServerCodec}, before the lifecycle's handler, so that probes and refusals carry it too.
 */
@ChannelHandler.Sharable
final class InstanceHeaderHandler extends ChannelOutboundHandlerAdapter {

    private final String instanceId;

    InstanceHeaderHandler(String instanceId) {
        this.instanceId = instanceId;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response) {
            response.headers().set(ServiceConfig.INSTANCE_HEADER, instanceId);
        }
        ctx.write(msg, promise);
    }
}
