package dev.lifecycle.netty;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.lifecycle.core.Lifecycle;
import io.netty.channel.embedded.EmbeddedChannel;

class NettyLifecycleBuilderTest {

    private final Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();

    @Test
    void probePathMustStartWithASlash() {
        assertThatThrownBy(() -> NettyLifecycle.builder(lifecycle).livenessPath("health/live"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("livenessPath: health/live (expected: a path starting with '/', no query)");
    }

    @Test
    void probePathMustNotHaveAQuery() {
        assertThatThrownBy(() -> NettyLifecycle.builder(lifecycle).readinessPath("/ready?full"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("readinessPath: /ready?full (expected: a path starting with '/', no query)");
    }

    @Test
    void probePathCannotBeNull() {
        assertThatThrownBy(() -> NettyLifecycle.builder(lifecycle).startupPath(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("startupPath cannot be null");
    }

    @Test
    void twoProbesCannotShareAPath() {
        assertThatThrownBy(() -> NettyLifecycle.builder(lifecycle).readinessPath("/health/live").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("readinessPath: /health/live (expected: different from livenessPath)");
    }

    @Test
    void excludedPathMustStartWithASlash() {
        assertThatThrownBy(() -> NettyLifecycle.builder(lifecycle).excludePaths("/ok", "metrics"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("excludePaths: 'metrics' (expected: a path starting with '/', or a prefix ending in '/*')");
    }

    @Test
    void excludedPathMayHoldAStarOnlyAsATrailingSlashStar() {
        assertThatThrownBy(() -> NettyLifecycle.builder(lifecycle).excludePaths("/metrics*"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("excludePaths: '/metrics*' (expected: a path starting with '/', or a prefix ending in '/*')");
        assertThatThrownBy(() -> NettyLifecycle.builder(lifecycle).excludePaths("/*/metrics"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("excludePaths: '/*/metrics' (expected: a path starting with '/', or a prefix ending in "
                            + "'/*')");
    }

    @Test
    void excludedPathCannotHoldAQueryOrSpaces() {
        assertThatThrownBy(() -> NettyLifecycle.builder(lifecycle).excludePaths("/metrics?x=1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("excludePaths: '/metrics?x=1' (expected: a path starting with '/', or a prefix ending in "
                            + "'/*', without spaces, '?' or '#')");
        assertThatThrownBy(() -> NettyLifecycle.builder(lifecycle).excludePaths("/my metrics"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("excludePaths: '/my metrics' (expected: ");
    }

    @Test
    void excludedPathsCannotBeNull() {
        assertThatThrownBy(() -> NettyLifecycle.builder(lifecycle).excludePaths((String[]) null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("paths cannot be null");
        assertThatThrownBy(() -> NettyLifecycle.builder(lifecycle).excludePaths("/metrics", null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("excludePaths cannot be null");
    }

    @Test
    void probeExecutorCannotBeNull() {
        assertThatThrownBy(() -> NettyLifecycle.builder(lifecycle).probeExecutor(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("probeExecutor cannot be null");
    }

    @Test
    void eventLoopShutdownTimeoutCannotBeNegative() {
        assertThatThrownBy(() -> NettyLifecycle.builder(lifecycle).eventLoopShutdownTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("eventLoopShutdownTimeout: PT-1S (expected: >= 0)");
    }

    @Test
    void lifecycleCannotBeNull() {
        assertThatThrownBy(() -> NettyLifecycle.of(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("lifecycle cannot be null");
    }

    @Test
    void stopOnShutdownRejectsNulls() {
        NettyLifecycle netty = NettyLifecycle.of(lifecycle);
        EmbeddedChannel channel = new EmbeddedChannel();
        assertThatThrownBy(() -> netty.stopOnShutdown(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("serverChannel cannot be null");
        assertThatThrownBy(() -> netty.stopOnShutdown(channel, channel.eventLoop(), null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("groups[1] cannot be null");
        channel.finishAndReleaseAll();
    }

    // Proves: blank paths and a null or overflowing event loop timeout are rejected naming the setting.
    @Test
    void blankPathsAndANullOrOverflowingTimeoutAreRejectedByName() {
        NettyLifecycleBuilder builder = NettyLifecycle.builder(lifecycle);

        assertThatThrownBy(() -> builder.livenessPath(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("livenessPath:  (expected: a path starting with '/', no query)");
        assertThatThrownBy(() -> builder.startupPath(" /health/started"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("startupPath:  /health/started (expected: a path starting with '/', no query)");
        assertThatThrownBy(() -> builder.eventLoopShutdownTimeout(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("eventLoopShutdownTimeout cannot be null");
        Duration tooLong = Duration.ofSeconds(Long.MAX_VALUE);
        assertThatThrownBy(() -> builder.eventLoopShutdownTimeout(tooLong))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("eventLoopShutdownTimeout: " + tooLong + " (expected: <= 9223372036854775807 ns)");
        assertThatThrownBy(() -> builder.livenessPath("/health/started").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("startupPath: /health/started (expected: different from livenessPath)");
    }
}
