package dev.lifecycle.spring.boot;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.ServletContextInitializer;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.LifecycleBuilder;
import dev.lifecycle.core.LifecycleMetrics;
import dev.lifecycle.core.Probe;
import dev.lifecycle.core.StartupTask;
import dev.lifecycle.servlet.HealthServlet;
import dev.lifecycle.servlet.LifecycleFilter;
import dev.lifecycle.servlet.LifecycleServlets;
import dev.lifecycle.servlet.jetty.JettyLifecycle;
import dev.lifecycle.servlet.tomcat.TomcatLifecycle;
import jakarta.servlet.DispatcherType;

/**
 * Auto-configures a {@link Lifecycle} from the {@code lifecycle.*} properties ({@link LifecycleProperties}), with:
 * <ul>
 * <li>the {@link StartupTask} beans, Flyway's and Liquibase's migrations as the startup tasks
 *     {@code flyway-migrations} and {@code liquibase-migrations}, run once the web server's port is open, and the
 *     {@link LifecycleCustomizer} beans;</li>
 * <li>its start after the web server's and its shutdown before the web server's graceful shutdown, through Spring's
 *     own shutdown hook (no second hook);</li>
 * <li>Spring's {@link ApplicationAvailability} in agreement with it both ways;</li>
 * <li>on a servlet web application: {@link LifecycleFilter} first in the filter chain and the probes at
 *     {@code /health/live}, {@code /health/ready} and {@code /health/started};</li>
 * <li>on embedded Tomcat or Jetty: {@link TomcatLifecycle} or {@link JettyLifecycle}, so that idle keep-alive
 *     connections are closed (HTTP/2 ones get a GOAWAY) when the drain begins, and pooled clients move to another
 *     replica instead of sending their next request to this one;</li>
 * <li>with Actuator: its {@code livenessState} and {@code readinessState} health contributors, and so the
 *     {@code /actuator/health/liveness} and {@code /readiness} groups, answered by the lifecycle;</li>
 * <li>with Micrometer: {@link LifecycleMetrics} on the application's registries.</li>
 * </ul>
 * An application's own {@link Lifecycle} bean replaces the auto-configured one; everything else still applies.
 */
@AutoConfiguration(
        afterName = "org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration",
        beforeName = {
                "org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration",
                "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration",
                // Its CharacterEncodingFilter has the same order as ours: registered later, it sorts after ours.
                "org.springframework.boot.autoconfigure.web.servlet.HttpEncodingAutoConfiguration",
                "org.springframework.boot.servlet.autoconfigure.HttpEncodingAutoConfiguration",
                "org.springframework.boot.actuate.autoconfigure.availability.AvailabilityHealthContributorAutoConfiguration",
                "org.springframework.boot.actuate.autoconfigure.availability.AvailabilityProbesAutoConfiguration",
                "org.springframework.boot.health.autoconfigure.application.AvailabilityHealthContributorAutoConfiguration",
                "org.springframework.boot.health.autoconfigure.actuate.endpoint.AvailabilityProbesAutoConfiguration" })
@ConditionalOnBooleanProperty(name = "lifecycle.enabled", matchIfMissing = true)
@EnableConfigurationProperties(LifecycleProperties.class)
public final class LifecycleAutoConfiguration {

    static final String AVAILABILITY_CHECK = "application-availability";
    private static final String FLYWAY_STRATEGY_BEAN = "lifecycleFlywayMigrationStrategy";

    /** Created by Spring. */
    public LifecycleAutoConfiguration() {
    }

    @Bean
    static DeferredMigrations lifecycleDeferredMigrations() {
        return new DeferredMigrations();
    }

    @Bean
    @ConditionalOnMissingBean
    Lifecycle lifecycle(LifecycleProperties properties, ObjectProvider<StartupTask> startupTasks,
                        ObjectProvider<LifecycleCustomizer> customizers,
                        ObjectProvider<ApplicationAvailability> availability, DeferredMigrations migrations,
                        ConfigurableListableBeanFactory beanFactory) {
        LifecycleBuilder builder = Lifecycle.builder()
                // Spring already read the environment, relaxed binding included: LIFECYCLE_* arrive as properties.
                .environment(Map.of())
                // Spring's own shutdown hook closes the context, which runs the shutdown in LifecycleRunner.
                .shutdownHook(false)
                .preStopDelay(properties.getPrestopDelay())
                .drainTimeout(properties.getDrainTimeout())
                .longLivedDrainTimeout(properties.getLongLivedDrainTimeout())
                .stopTimeout(properties.getStopTimeout())
                .terminationGracePeriod(properties.getTerminationGracePeriod())
                .retryAfter(properties.getRetryAfter())
                .drainPolicy(properties.getDrainPolicy())
                .drainQuietPeriod(properties.getDrainQuietPeriod())
                .readyFileRefreshInterval(properties.getReadyFileRefreshInterval())
                .healthCheckTimeout(properties.getHealthCheckTimeout())
                .healthCheckMaxAge(properties.getHealthCheckMaxAge())
                .describeRequests(properties.isDescribeRequests());
        if (properties.getReadyFile() != null) {
            builder.readyFile(properties.getReadyFile());
        }
        if (beanFactory.containsBeanDefinition(FLYWAY_STRATEGY_BEAN) && hasBean(beanFactory, "org.flywaydb.core.Flyway")) {
            builder.startupTask(migrationTask(DeferredMigrations.FLYWAY_TASK, migrations::runFlyway, properties));
        }
        if (hasBean(beanFactory, "liquibase.integration.spring.SpringLiquibase")) {
            builder.startupTask(migrationTask(DeferredMigrations.LIQUIBASE_TASK, migrations::runLiquibase,
                                              properties));
        }
        startupTasks.orderedStream().forEach(builder::startupTask);
        ApplicationAvailability applicationAvailability = availability.getIfAvailable();
        if (applicationAvailability != null) {
            // Spring -> lifecycle: an application that declares itself broken or refusing traffic through
            // AvailabilityChangeEvent turns the lifecycle's liveness or readiness down, and back up.
            builder.livenessCheck(AVAILABILITY_CHECK, () -> {
                AvailabilityChangeEvent<LivenessState> last =
                        applicationAvailability.getLastChangeEvent(LivenessState.class);
                return last == null || last.getState() != LivenessState.BROKEN;
            });
            builder.readinessCheck(AVAILABILITY_CHECK, () -> {
                AvailabilityChangeEvent<ReadinessState> last =
                        applicationAvailability.getLastChangeEvent(ReadinessState.class);
                return last == null || last.getState() == ReadinessState.ACCEPTING_TRAFFIC;
            });
        }
        customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
        return builder.build();
    }

    private static StartupTask migrationTask(String name, StartupTask.Body body, LifecycleProperties properties) {
        StartupTask task = StartupTask.of(name, body);
        return properties.getMigrationTimeout() == null ? task : task.timeout(properties.getMigrationTimeout());
    }

    private static boolean hasBean(ConfigurableListableBeanFactory beanFactory, String className) {
        ClassLoader classLoader = LifecycleAutoConfiguration.class.getClassLoader();
        if (!ClassUtils.isPresent(className, classLoader)) {
            return false;
        }
        return beanFactory.getBeanNamesForType(ClassUtils.resolveClassName(className, classLoader), true, false)
                       .length > 0;
    }

    @Bean
    LifecycleRunner lifecycleRunner(Lifecycle lifecycle, ApplicationEventPublisher publisher) {
        return new LifecycleRunner(lifecycle, publisher);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
    static class MetricsConfiguration {

        @Bean
        @ConditionalOnMissingBean
        LifecycleMetrics lifecycleMetrics(Lifecycle lifecycle) {
            // A MeterBinder: Spring Boot binds it to every MeterRegistry of the application.
            return new LifecycleMetrics(lifecycle);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnClass(name = "jakarta.servlet.Filter")
    static class ServletConfiguration {

        private static final String ENDPOINT_CLASS = "org.springframework.boot.actuate.endpoint.annotation.Endpoint";

        @Bean
        FilterRegistrationBean<LifecycleFilter> lifecycleFilter(Lifecycle lifecycle, LifecycleProperties properties,
                                                                Environment environment) {
            Set<String> excluded = new LinkedHashSet<>();
            if (properties.getProbes().isEnabled()) {
                excluded.add(properties.getProbes().getLivenessPath());
                excluded.add(properties.getProbes().getReadinessPath());
                excluded.add(properties.getProbes().getStartupPath());
            }
            if (ClassUtils.isPresent(ENDPOINT_CLASS, ServletConfiguration.class.getClassLoader())) {
                // Actuator's probes and scrapes must answer while starting and draining, like ours.
                String basePath = environment.getProperty("management.endpoints.web.base-path", "/actuator");
                if (basePath.length() > 1) {
                    excluded.add((basePath.endsWith("/") ? basePath.substring(0, basePath.length() - 1) : basePath)
                                 + "/*");
                }
            }
            excluded.addAll(properties.getExcludePaths());
            LifecycleFilter filter = LifecycleFilter.builder(lifecycle)
                                                    .excludePaths(excluded.toArray(new String[0]))
                                                    .build();
            FilterRegistrationBean<LifecycleFilter> registration = new FilterRegistrationBean<>(filter);
            registration.setName("lifecycle");
            registration.addUrlPatterns("/*");
            // ASYNC too: the dispatch that writes a DeferredResult's or a Callable's response counts to its last byte.
            registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ASYNC);
            registration.setAsyncSupported(true);
            // First in the chain, so that a request is counted from its arrival and refused before any other work.
            registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
            return registration;
        }

        @Bean
        ServletContextInitializer lifecycleServletContextAttribute(Lifecycle lifecycle) {
            // A Spring Boot WAR on a standalone container: lifecycle-servlet's web-fragment listener then takes this
            // lifecycle instead of building a second one, and finds the filter "lifecycle" already registered.
            return servletContext -> servletContext.setAttribute(LifecycleServlets.LIFECYCLE_ATTRIBUTE, lifecycle);
        }

        @Bean
        @ConditionalOnBooleanProperty(name = "lifecycle.probes.enabled", matchIfMissing = true)
        ServletRegistrationBean<HealthServlet> lifecycleHealthServlet(Lifecycle lifecycle,
                                                                      LifecycleProperties properties) {
            LifecycleProperties.Probes probes = properties.getProbes();
            HealthServlet servlet = HealthServlet.builder(lifecycle)
                                                 .livenessPath(probes.getLivenessPath())
                                                 .readinessPath(probes.getReadinessPath())
                                                 .startupPath(probes.getStartupPath())
                                                 .showDetails(probes.isShowDetails())
                                                 .build();
            ServletRegistrationBean<HealthServlet> registration = new ServletRegistrationBean<>(
                    servlet, probes.getLivenessPath(), probes.getReadinessPath(), probes.getStartupPath());
            registration.setName("lifecycle-health");
            registration.setAsyncSupported(true);
            return registration;
        }
    }

    /*
     * The embedded containers' integrations. The connector customizer runs once the connector was added to its
     * Service, the server customizer before the server starts: both while the web server is created, when the
     * servlet context initializers (the filter above) need the Lifecycle bean anyway. Boot 4.0 moved the types
     * (org.springframework.boot.tomcat, org.springframework.boot.jetty); each pair of configurations is guarded by
     * the class names of its version.
     */

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnClass(name = { "org.apache.catalina.startup.Tomcat",
                                 "org.springframework.boot.web.embedded.tomcat.ConfigurableTomcatWebServerFactory" })
    static class Boot3TomcatConfiguration {

        @Bean
        WebServerFactoryCustomizer<org.springframework.boot.web.embedded.tomcat.ConfigurableTomcatWebServerFactory>
                lifecycleTomcatCustomizer(ObjectProvider<Lifecycle> lifecycle) {
            return factory -> factory.addConnectorCustomizers(
                    connector -> TomcatLifecycle.install(connector.getService(), lifecycle.getObject()));
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnClass(name = { "org.apache.catalina.startup.Tomcat",
                                 "org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory" })
    static class Boot4TomcatConfiguration {

        @Bean
        WebServerFactoryCustomizer<org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory>
                lifecycleTomcatCustomizer(ObjectProvider<Lifecycle> lifecycle) {
            return factory -> factory.addConnectorCustomizers(
                    connector -> TomcatLifecycle.install(connector.getService(), lifecycle.getObject()));
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnClass(name = { "org.eclipse.jetty.server.Server",
                                 "org.springframework.boot.web.embedded.jetty.ConfigurableJettyWebServerFactory" })
    static class Boot3JettyConfiguration {

        @Bean
        WebServerFactoryCustomizer<org.springframework.boot.web.embedded.jetty.ConfigurableJettyWebServerFactory>
                lifecycleJettyCustomizer(ObjectProvider<Lifecycle> lifecycle) {
            return factory -> factory.addServerCustomizers(
                    server -> JettyLifecycle.install(server, lifecycle.getObject()));
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnClass(name = { "org.eclipse.jetty.server.Server",
                                 "org.springframework.boot.jetty.ConfigurableJettyWebServerFactory" })
    static class Boot4JettyConfiguration {

        @Bean
        WebServerFactoryCustomizer<org.springframework.boot.jetty.ConfigurableJettyWebServerFactory>
                lifecycleJettyCustomizer(ObjectProvider<Lifecycle> lifecycle) {
            return factory -> factory.addServerCustomizers(
                    server -> JettyLifecycle.install(server, lifecycle.getObject()));
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = { "org.flywaydb.core.Flyway",
                                 "org.springframework.boot.autoconfigure.flyway.FlywayMigrationStrategy" })
    static class Boot3FlywayConfiguration {

        @Bean(FLYWAY_STRATEGY_BEAN)
        @ConditionalOnMissingBean
        org.springframework.boot.autoconfigure.flyway.FlywayMigrationStrategy lifecycleFlywayMigrationStrategy(
                DeferredMigrations migrations) {
            return flyway -> migrations.deferFlyway(flyway::migrate);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = { "org.flywaydb.core.Flyway",
                                 "org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy" })
    static class Boot4FlywayConfiguration {

        @Bean(FLYWAY_STRATEGY_BEAN)
        @ConditionalOnMissingBean
        org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy lifecycleFlywayMigrationStrategy(
                DeferredMigrations migrations) {
            return flyway -> migrations.deferFlyway(flyway::migrate);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.availability.LivenessStateHealthIndicator")
    @ConditionalOnBooleanProperty(name = "lifecycle.actuator.enabled", matchIfMissing = true)
    static class Boot3ActuatorConfiguration {

        @Bean
        Boot3ProbeIndicator livenessStateHealthIndicator(Lifecycle lifecycle) {
            return new Boot3ProbeIndicator(lifecycle, Probe.LIVENESS);
        }

        @Bean
        Boot3ProbeIndicator readinessStateHealthIndicator(Lifecycle lifecycle) {
            return new Boot3ProbeIndicator(lifecycle, Probe.READINESS);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.application.LivenessStateHealthIndicator")
    @ConditionalOnBooleanProperty(name = "lifecycle.actuator.enabled", matchIfMissing = true)
    static class Boot4ActuatorConfiguration {

        @Bean
        Boot4ProbeIndicator livenessStateHealthIndicator(Lifecycle lifecycle) {
            return new Boot4ProbeIndicator(lifecycle, Probe.LIVENESS);
        }

        @Bean
        Boot4ProbeIndicator readinessStateHealthIndicator(Lifecycle lifecycle) {
            return new Boot4ProbeIndicator(lifecycle, Probe.READINESS);
        }
    }
}
