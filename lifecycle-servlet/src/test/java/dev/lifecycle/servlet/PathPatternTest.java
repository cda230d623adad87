package dev.lifecycle.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PathPatternTest {

    @Test
    void exactPathMatchesServletPathPlusPathInfoWhateverTheSplit() {
        PathPattern live = PathPattern.parse("excludePaths", "/health/live", true);

        assertThat(live.matches("/health", "/live")).isTrue();
        assertThat(live.matches("/health/live", null)).isTrue();
        assertThat(live.matches("", "/health/live")).isTrue();
        assertThat(live.matches("/health", "/liveness")).isFalse();
        assertThat(live.matches("/health", "/live/x")).isFalse();
        assertThat(live.matches("/health/liv", null)).isFalse();
        assertThat(live.matches("/health", null)).isFalse();
    }

    @Test
    void prefixMatchesItselfAndPathsBelowItOnly() {
        PathPattern health = PathPattern.parse("excludePaths", "/health/*", true);

        assertThat(health.matches("/health", null)).isTrue();
        assertThat(health.matches("/health", "/live")).isTrue();
        assertThat(health.matches("/health/live/deeper", null)).isTrue();
        assertThat(health.matches("", "/health/")).isTrue();
        assertThat(health.matches("/healthy", null)).isFalse();
        assertThat(health.matches("/heal", null)).isFalse();
        assertThat(health.matches("/app", "/health")).isFalse();
    }

    @Test
    void rootPrefixMatchesEverything() {
        PathPattern all = PathPattern.parse("excludePaths", "/*", true);

        assertThat(all.matches("/app", "/x")).isTrue();
        assertThat(all.matches("", "/")).isTrue();
        assertThat(all.matches("", null)).isTrue();
    }
}
