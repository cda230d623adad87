package dev.lifecycle.spring.boot;

import dev.lifecycle.core.LifecycleBuilder;

/**
 * Adds to the auto-configured {@link dev.lifecycle.core.Lifecycle} what properties cannot express, such as health
 * checks. Every bean of this type is called, in {@link org.springframework.core.annotation.Order} order, after the
 * {@code lifecycle.*} properties, the {@link dev.lifecycle.core.StartupTask} beans and the migrations were applied.
 *
 * <pre>{@code
 * @Bean
 * LifecycleCustomizer databaseReadiness(DataSource dataSource) {
 *     return builder -> builder.readinessCheck("database", () -> {
 *         try (Connection connection = dataSource.getConnection()) {
 *             return connection.isValid(1);
 *         }
 *     });
 * }
 * }</pre>
 */
@FunctionalInterface
public interface LifecycleCustomizer {

    /** Customizes the builder; called once, before {@link LifecycleBuilder#build()}. */
    void customize(LifecycleBuilder builder);
}
