package dev.lifecycle.moduletests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.lifecycle.core.InflightRequest;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.Probe;
import dev.lifecycle.core.State;
import dev.lifecycle.netty.NettyLifecycle;

import io.netty.channel.embedded.EmbeddedChannel;

/** The library as a user's named module sees it: explicit modules, API exported, internals hidden. */
class ModulePathTest {

    @Test
    void theLibraryJarsAreNamedModules() {
        assertThat(ModulePathTest.class.getModule().isNamed()).as("this test runs on the module path").isTrue();
        assertThat(Lifecycle.class.getModule().getName()).isEqualTo("dev.lifecycle.core");
        assertThat(NettyLifecycle.class.getModule().getName()).isEqualTo("dev.lifecycle.netty");
        assertThat(Lifecycle.class.getModule().getDescriptor().isAutomatic()).as("a real module-info").isFalse();
    }

    @Test
    void internalsAreNotExportedToUsers() {
        Module core = Lifecycle.class.getModule();
        assertThat(core.isExported("dev.lifecycle.core")).isTrue();
        assertThat(core.isExported("dev.lifecycle.core.internal")).isFalse();
        assertThat(core.isExported("dev.lifecycle.core.internal", ModulePathTest.class.getModule())).isFalse();
        assertThatThrownBy(() -> Class.forName("dev.lifecycle.core.internal.Durations")
                                      .getMethod("format", java.time.Duration.class)
                                      .invoke(null, java.time.Duration.ZERO))
                .isInstanceOf(IllegalAccessException.class);
    }

    @Test
    void aLifecycleRunsOnTheModulePathWithoutMicrometer() {
        assertThat(ModuleLayer.boot().findModule("micrometer.core")).as("optional, not resolved").isEmpty();
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();
        lifecycle.start();
        assertThat(lifecycle.probeResponse(Probe.READINESS, false).status()).isEqualTo(200);
        InflightRequest request = lifecycle.tracker().tryEnter("GET", "/users");
        assertThat(request.admitted()).isTrue();
        request.exit();
        lifecycle.shutdown();
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    @Test
    void theAdaptersLoadOnTheModulePath() {
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();
        EmbeddedChannel channel = new EmbeddedChannel(NettyLifecycle.of(lifecycle).newHandler());
        assertThat(channel.pipeline().names()).hasSizeGreaterThan(1);
        channel.finishAndReleaseAll();
    }
}
