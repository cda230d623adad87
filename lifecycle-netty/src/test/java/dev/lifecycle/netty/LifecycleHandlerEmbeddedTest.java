package dev.lifecycle.netty;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lifecycle.core.InflightTracker;
import dev.lifecycle.core.Lifecycle;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;

/** The handler alone, on an embedded channel: message sequences that are awkward to produce over a socket. */
class LifecycleHandlerEmbeddedTest {

    private final Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();
    private final InflightTracker tracker = lifecycle.tracker();
    /** The probe executor: tasks run when the test says so. */
    private final ArrayDeque<Runnable> probes = new ArrayDeque<>();
    private final EmbeddedChannel channel = new EmbeddedChannel(
            NettyLifecycle.builder(lifecycle).probeExecutor(probes::add).build().newHandler());

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private static FullHttpRequest get(String uri) {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    }

    private static FullHttpRequest post(String uri) {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri,
                                          Unpooled.copiedBuffer(new byte[] {'h', 'i'}));
    }

    /** Runs the oldest probe on the "executor", then its completion on the event loop. */
    private void runProbe() {
        probes.remove().run();
        channel.runPendingTasks();
    }

    @Test
    void probeHoldsTheMessagesAfterItUntilItsAnswerIsWritten() {
        lifecycle.start();
        FullHttpRequest upload = post("/upload");
        channel.writeInbound(get("/health/live"), upload);
        assertThat(channel.<Object>readInbound()).isNull();
        assertThat(channel.<Object>readOutbound()).isNull();
        assertThat(channel.config().isAutoRead()).isFalse();
        assertThat(tracker.inflight()).isZero();

        runProbe();
        FullHttpResponse live = channel.readOutbound();
        assertThat(live.status()).isEqualTo(HttpResponseStatus.OK);
        live.release();
        assertThat(channel.<Object>readInbound()).isSameAs(upload);
        upload.release();
        assertThat(tracker.inflight()).isEqualTo(1);
        assertThat(channel.config().isAutoRead()).isTrue();
    }

    @Test
    void probeAnsweredBeforeTheApplicationRequestAheadOfItWaitsForItsResponse() {
        lifecycle.start();
        channel.writeInbound(get("/a"));
        FullHttpRequest a = channel.readInbound();
        a.release();
        FullHttpRequest b = get("/b");
        channel.writeInbound(get("/health/ready"), b);
        runProbe();
        assertThat(channel.<Object>readOutbound()).as("behind /a").isNull();
        assertThat(channel.<Object>readInbound()).as("held").isNull();

        channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.ACCEPTED));
        FullHttpResponse first = channel.readOutbound();
        assertThat(first.status()).isEqualTo(HttpResponseStatus.ACCEPTED);
        first.release();
        FullHttpResponse ready = channel.readOutbound();
        assertThat(ready.status()).isEqualTo(HttpResponseStatus.OK);
        ready.release();
        channel.runPendingTasks();
        assertThat(channel.<Object>readInbound()).isSameAs(b);
        b.release();
        assertThat(tracker.inflight()).isEqualTo(1);
    }

    @Test
    void closingWhileAProbeIsComputingReleasesTheHeldMessages() {
        lifecycle.start();
        FullHttpRequest upload = post("/upload");
        channel.writeInbound(get("/health/live"), upload);
        Runnable probe = probes.remove();

        channel.close();
        assertThat(upload.refCnt()).isZero();
        probe.run();
        channel.runPendingTasks();
        assertThat(channel.<Object>readOutbound()).isNull();
        assertThat(tracker.inflight()).isZero();
    }

    @Test
    void closingWithAProbeAnsweredBehindAnApplicationRequestExitsAndReleasesBoth() {
        lifecycle.start();
        channel.writeInbound(get("/a"));
        channel.<FullHttpRequest>readInbound().release();
        channel.writeInbound(get("/health/live"));
        runProbe();
        assertThat(tracker.inflight()).isEqualTo(1);

        channel.close();
        assertThat(tracker.inflight()).isZero();
        assertThat(channel.<Object>readOutbound()).isNull();
    }

    @Test
    void continueResponseDoesNotEndTheRequest() {
        lifecycle.start();
        channel.writeInbound(get("/upload"));
        assertThat(tracker.inflight()).isEqualTo(1);

        channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        channel.writeOutbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.EARLY_HINTS),
                              LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(tracker.inflight()).isEqualTo(1);

        channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        assertThat(tracker.inflight()).isZero();
    }

    @Test
    void responseWrittenWithAVoidPromiseStillEndsTheRequest() {
        lifecycle.start();
        channel.writeInbound(get("/a"));
        channel.write(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK),
                      channel.voidPromise());
        channel.flush();
        assertThat(tracker.inflight()).isZero();
    }

    @Test
    void removingTheHandlerReleasesItsRequests() {
        lifecycle.start();
        channel.writeInbound(get("/a"), get("/b"));
        assertThat(tracker.inflight()).isEqualTo(2);

        channel.pipeline().removeFirst();
        assertThat(tracker.inflight()).isZero();
    }

    @Test
    void requestsRefusedWhileStartingAreNotPassedOn() {
        channel.writeInbound(get("/a"));
        assertThat(channel.<Object>readInbound()).isNull();
        DefaultFullHttpResponse response = channel.readOutbound();
        assertThat(response.status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
        response.release();
        assertThat(tracker.refused()).isEqualTo(1);
    }

    @Test
    void refusalOfARequestExpecting100ContinueClosesTheConnection() {
        FullHttpRequest upload = get("/upload");
        HttpUtil.set100ContinueExpected(upload, true);
        channel.writeInbound(upload);

        FullHttpResponse response = channel.readOutbound();
        assertThat(response.status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
        assertThat(HttpUtil.isKeepAlive(response)).isFalse();
        response.release();
        assertThat(channel.isOpen()).isFalse();
    }

    // Proves: a request Netty failed to decode, pipelined behind one in flight, is answered after it, then closes.
    @Test
    void undecodableRequestBehindAnInflightOneIsAnsweredInOrderAndCloses() {
        lifecycle.start();
        FullHttpRequest broken = get("/health/live");
        broken.setDecoderResult(DecoderResult.failure(new TooLongHttpHeaderException("header too large")));
        channel.writeInbound(get("/a"), broken);
        FullHttpRequest passedOn = channel.readInbound();
        assertThat(passedOn.uri()).isEqualTo("/a");
        passedOn.release();
        assertThat(channel.<Object>readInbound()).as("the broken request is not passed on").isNull();
        assertThat(channel.<Object>readOutbound()).as("nor answered before /a").isNull();

        FullHttpResponse ok = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        HttpUtil.setContentLength(ok, 0);
        channel.writeOutbound(ok);

        FullHttpResponse first = channel.readOutbound();
        assertThat(first.status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(HttpUtil.isKeepAlive(first)).isTrue();
        first.release();
        FullHttpResponse second = channel.readOutbound();
        assertThat(second.status()).isEqualTo(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE);
        assertThat(HttpUtil.isKeepAlive(second)).isFalse();
        second.release();
        assertThat(channel.isOpen()).isFalse();
        assertThat(tracker.inflight()).isZero();
    }
}
