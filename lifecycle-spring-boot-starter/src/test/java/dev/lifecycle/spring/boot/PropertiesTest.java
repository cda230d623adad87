package dev.lifecycle.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import dev.lifecycle.core.DrainPolicy;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.State;

/** Binding of {@code lifecycle.*}, without a web server. */
class PropertiesTest {

    private static SpringApplicationBuilder app(Map<String, Object> environmentVariables, String... properties) {
        StandardEnvironment environment = new StandardEnvironment();
        // Stands for the process environment: Spring maps its names as it does for System.getenv().
        environment.getPropertySources().replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                                                    environmentVariables));
        return new SpringApplicationBuilder(App.class)
                .web(WebApplicationType.NONE)
                .environment(environment)
                .registerShutdownHook(false)
                .properties("spring.main.banner-mode=off", "spring.flyway.enabled=false",
                            "spring.liquibase.enabled=false")
                .properties(properties);
    }

    @Test
    void lifecycleEnvironmentVariablesBindThroughRelaxedBinding() {
        ConfigurableApplicationContext context = app(Map.of("LIFECYCLE_PRESTOP_DELAY", "3s",
                                                            "LIFECYCLE_DRAIN_TIMEOUT", "7s",
                                                            "LIFECYCLE_LONG_LIVED_DRAIN_TIMEOUT", "2s",
                                                            "LIFECYCLE_PROBES_SHOW_DETAILS", "true",
                                                            "LIFECYCLE_DRAIN_POLICY", "reject-503"),
                                                     "lifecycle.drain-timeout=9s").run();
        Lifecycle lifecycle;
        try {
            LifecycleProperties properties = context.getBean(LifecycleProperties.class);
            assertThat(properties.getPrestopDelay()).isEqualTo(Duration.ofSeconds(3));
            // The environment wins over application properties, as everywhere in Spring Boot.
            assertThat(properties.getDrainTimeout()).isEqualTo(Duration.ofSeconds(7));
            assertThat(properties.getLongLivedDrainTimeout()).isEqualTo(Duration.ofSeconds(2));
            assertThat(properties.getProbes().isShowDetails()).isTrue();
            assertThat(properties.getDrainPolicy()).isEqualTo(DrainPolicy.REJECT_503);
            // No web server: the lifecycle still starts with the context, and stops with it.
            lifecycle = context.getBean(Lifecycle.class);
            assertThat(lifecycle.state()).isEqualTo(State.READY);
        } finally {
            context.close();
        }
        assertThat(lifecycle.state()).isEqualTo(State.STOPPED);
    }

    @Test
    void badValuesFailTheStartWithSpringsReportNamingPropertyValueOriginAndExpectation() {
        assertThatThrownBy(() -> app(Map.of("LIFECYCLE_DRAIN_TIMEOUT", "-5s"), "lifecycle.stop-timeout=0").run())
                .rootCause()
                .hasMessageContaining("lifecycle.drain-timeout: PT-5S (expected: >= 0)")
                .hasMessageContaining("lifecycle.stop-timeout: PT0S (expected: > 0)")
                .hasMessageContaining("LIFECYCLE_DRAIN_TIMEOUT");
    }

    @Test
    void disabledLeavesNoLifecycle() {
        try (ConfigurableApplicationContext context = app(Map.of(), "lifecycle.enabled=false").run()) {
            assertThat(context.getBeansOfType(Lifecycle.class)).isEmpty();
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }
}
