package dev.lifecycle.examples.spring;

import java.net.InetAddress;
import java.net.UnknownHostException;

import javax.sql.DataSource;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.web.filter.OncePerRequestFilter;

import dev.lifecycle.spring.boot.LifecycleCustomizer;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The users service on Spring Boot (3.5 or 4.0): the same API as {@code examples/}'s, on Tomcat, JDBC through
 * HikariCP, Flyway migrations. {@code lifecycle-spring-boot-starter} does the rest: Flyway runs as the startup task
 * {@code flyway-migrations} once the port is open, the probes answer at {@code /health/*} and
 * {@code /actuator/health/liveness|readiness}, SIGTERM drains before Spring stops Tomcat. Configuration is Spring's:
 * {@code application.properties}, overridden by environment variables ({@code PORT}, {@code DATABASE_URL},
 * {@code LIFECYCLE_PRESTOP_DELAY}, ...).
 */
@SpringBootApplication
public class UsersApplication {

    static final String INSTANCE_HEADER = "X-Instance";

    /** Starts the service. */
    public static void main(String[] args) {
        SpringApplication.run(UsersApplication.class, args);
    }

    @Bean
    LifecycleCustomizer databaseReadiness(DataSource dataSource) {
        // A dependency: readiness, never liveness (a database outage must not restart every replica).
        return builder -> builder.readinessCheck("database", () -> {
            try (var connection = dataSource.getConnection()) {
                return connection.isValid(1);
            }
        });
    }

    @Bean
    FilterRegistrationBean<OncePerRequestFilter> instanceHeader() throws UnknownHostException {
        String configured = System.getenv("INSTANCE_ID");
        String hostname = System.getenv("HOSTNAME");
        String instance = configured != null ? configured
                          : hostname != null ? hostname : InetAddress.getLocalHost().getHostName();
        OncePerRequestFilter filter = new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response,
                                            FilterChain chain) throws ServletException, java.io.IOException {
                response.setHeader(INSTANCE_HEADER, instance);
                chain.doFilter(request, response);
            }
        };
        FilterRegistrationBean<OncePerRequestFilter> registration = new FilterRegistrationBean<>(filter);
        // Right after the lifecycle's filter; the refusals it writes itself carry no X-Instance.
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 1);
        return registration;
    }
}
