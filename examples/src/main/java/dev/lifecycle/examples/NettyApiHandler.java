package dev.lifecycle.examples;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * The API on Netty: {@code /users} ({@link UsersApi}), {@code /work} ({@link Work}) and {@code /metrics}, after the
 * lifecycle's handler and an {@code HttpObjectAggregator}. The handler runs on the connection's event loop and never
 * blocks it: the users API, which blocks on JDBC, runs on the {@code database} executor and hands its response back
 * to the event loop; {@code /work} is timed by {@code ctx.executor().schedule}, which holds no thread.
 *
 * <p>Each request gets exactly one {@code FullHttpResponse}, in the order the requests came (HTTP/1.1 pipelining):
 * while a response is being prepared off the event loop or timed, the requests that arrive on the same connection
 * wait in {@link #queued}. A connection that is not kept alive is closed once its response is written. The state
 * below is only touched on the event loop: no locks.
 */
final class NettyApiHandler extends ChannelInboundHandlerAdapter {

    private static final Logger logger = LoggerFactory.getLogger(NettyApiHandler.class);

    /** Pipelined requests a connection may queue behind the one being answered; one more closes it. */
    static final int MAX_QUEUED = 16;
    private static final String USERS = "/users";
    private static final String WORK = "/work";

    /** What the handler keeps of a request, whose buffer is released at once. */
    private record Call(HttpMethod method, String uri, HttpVersion version, boolean keepAlive, boolean malformed,
                        byte[] body) {

        static Call of(FullHttpRequest request) {
            return new Call(request.method(), request.uri(), request.protocolVersion(),
                            HttpUtil.isKeepAlive(request), request.decoderResult().isFailure(),
                            ByteBufUtil.getBytes(request.content()));
        }
    }

    private final UsersApi users;
    private final PrometheusMeterRegistry registry;
    private final Executor database;
    private final ArrayDeque<Call> queued = new ArrayDeque<>(4);
    /** A response is being prepared on the database executor, or timed: the next request waits. */
    private boolean busy;
    /** The {@code /work} being timed, cancelled if the connection closes first. */
    private ScheduledFuture<?> working;

    /**
     * @param database where the users API runs, since JDBC blocks
     */
    NettyApiHandler(UsersApi users, PrometheusMeterRegistry registry, Executor database) {
        this.users = users;
        this.registry = registry;
        this.database = database;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        Call call;
        try {
            call = Call.of(request);
        } finally {
            request.release();
        }
        if (queued.size() >= MAX_QUEUED) {
            ctx.close();
            return;
        }
        queued.add(call);
        answerQueued(ctx);
    }

    private void answerQueued(ChannelHandlerContext ctx) {
        Call call;
        while (!busy && (call = queued.poll()) != null) {
            try {
                route(ctx, call);
            } catch (RuntimeException e) {
                busy = false;
                respond(ctx, call, json(call, failure(e)));
            }
        }
    }

    /** Answers {@code call}, at once or later: then {@link #busy} is set until {@link #done}. */
    private void route(ChannelHandlerContext ctx, Call call) {
        if (call.malformed()) {
            respond(ctx, call, json(call, ApiResponse.error(400, "malformed HTTP request")));
            return;
        }
        QueryStringDecoder uri;
        String path;
        try {
            uri = new QueryStringDecoder(call.uri());
            path = uri.path();
        } catch (IllegalArgumentException e) {
            respond(ctx, call, json(call, ApiResponse.error(400, "malformed URI")));
            return;
        }
        boolean get = HttpMethod.GET.equals(call.method());
        boolean post = HttpMethod.POST.equals(call.method());
        if (path.equals(USERS) || path.equals(USERS + '/')) {
            if (get) {
                offload(ctx, call, () -> users.list(parameter(uri, "limit"), parameter(uri, "after")));
            } else if (post) {
                offload(ctx, call, () -> users.create(call.body()));
            } else {
                respond(ctx, call, json(call, notAllowed("GET, POST")));
            }
        } else if (path.startsWith(USERS + '/')) {
            if (get) {
                String id = path.substring(USERS.length() + 1);
                offload(ctx, call, () -> users.find(id));
            } else {
                respond(ctx, call, json(call, post ? UsersApi.postToOneUser() : notAllowed("GET")));
            }
        } else if (path.equals(WORK)) {
            String text = parameter(uri, "ms");
            long ms = Work.millis(text);
            if (!get || ms < 0) {
                respond(ctx, call, json(call, get ? Work.badMillis(text) : notAllowed("GET")));
                return;
            }
            busy = true;
            working = ctx.executor().schedule(() -> done(ctx, call, json(call, Work.done(ms))),
                                              ms, TimeUnit.MILLISECONDS);
        } else if (path.equals(ServiceConfig.METRICS_PATH)) {
            respond(ctx, call, get ? metrics(call) : json(call, notAllowed("GET")));
        } else {
            respond(ctx, call, json(call, ApiResponse.error(404, "no such path")));
        }
    }

    /** Runs {@code blocking} on the database executor, then answers on the event loop. */
    private void offload(ChannelHandlerContext ctx, Call call, Supplier<ApiResponse> blocking) {
        busy = true;
        try {
            database.execute(() -> {
                ApiResponse api;
                try {
                    api = blocking.get();
                } catch (RuntimeException e) {
                    api = failure(e);
                }
                FullHttpResponse response = json(call, api);
                try {
                    ctx.executor().execute(() -> done(ctx, call, response));
                } catch (RejectedExecutionException e) {
                    // The event loop is shutting down, closing its connections: nobody left to answer.
                    response.release();
                }
            });
        } catch (RejectedExecutionException e) {
            busy = false;
            respond(ctx, call, json(call, ApiResponse.error(503, "shutting down").withHeader("Retry-After", "1")));
        }
    }

    /** On the event loop, when the response prepared elsewhere or timed is ready. */
    private void done(ChannelHandlerContext ctx, Call call, FullHttpResponse response) {
        busy = false;
        working = null;
        respond(ctx, call, response);
        answerQueued(ctx);
    }

    private static ApiResponse failure(RuntimeException e) {
        // Exceptional, not a per-request log: a bug or a resource in trouble.
        logger.warn("Request failed: {}", e.toString());
        return ApiResponse.error(500, "internal error");
    }

    private static String parameter(QueryStringDecoder uri, String name) {
        List<String> values = uri.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static ApiResponse notAllowed(String allow) {
        return ApiResponse.error(405, "method not allowed").withHeader("Allow", allow);
    }

    private static FullHttpResponse json(Call call, ApiResponse api) {
        FullHttpResponse response = response(call, api.status(), ApiResponse.CONTENT_TYPE, api.bodyBytes());
        for (Map.Entry<String, String> header : api.headers().entrySet()) {
            response.headers().set(header.getKey(), header.getValue());
        }
        return response;
    }

    private FullHttpResponse metrics(Call call) {
        return response(call, 200, ServiceConfig.METRICS_CONTENT_TYPE,
                        registry.scrape().getBytes(StandardCharsets.UTF_8));
    }

    private static FullHttpResponse response(Call call, int status, String contentType, byte[] body) {
        FullHttpResponse response = new DefaultFullHttpResponse(call.version(), HttpResponseStatus.valueOf(status),
                                                                Unpooled.wrappedBuffer(body));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return response;
    }

    private static void respond(ChannelHandlerContext ctx, Call call, FullHttpResponse response) {
        // A malformed request leaves the decoder unable to read further: close after answering it.
        boolean keepAlive = call.keepAlive() && !call.malformed();
        HttpUtil.setKeepAlive(response, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(response);
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // Nobody to answer any more: the lifecycle's handler has already released what it counted.
        if (working != null) {
            working.cancel(false);
            working = null;
        }
        queued.clear();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Mostly a peer that reset the connection: nothing to answer, nothing worth a log line per connection.
        logger.debug("Closing connection: {}", cause.toString());
        ctx.close();
    }
}
