package dev.lifecycle.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.State;

/** Liquibase's changelog runs as the startup task {@code liquibase-migrations}, not while beans are created. */
class LiquibaseTest {

    static final List<String> events = new CopyOnWriteArrayList<>();

    @Test
    void liquibaseRunsAsAStartupTaskAfterEveryBeanWasCreated() {
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
                .web(WebApplicationType.NONE)
                .registerShutdownHook(false)
                .properties("spring.main.banner-mode=off", "spring.flyway.enabled=false",
                            "spring.datasource.url=jdbc:h2:mem:liquibase;DB_CLOSE_DELAY=-1",
                            "spring.liquibase.change-log=classpath:liquibase/changelog.sql")
                .run()) {
            Lifecycle lifecycle = context.getBean(Lifecycle.class);
            assertThat(lifecycle.state()).isEqualTo(State.READY);
            assertThat(lifecycle.health().tasks()).extracting(task -> task.name() + ' ' + task.status())
                    .containsExactly("liquibase-migrations SUCCEEDED");
            assertThat(events).containsExactly("singletons created; orders table: false");
            assertThat(ordersTableExists(context.getBean(JdbcTemplate.class))).isTrue();
        }
    }

    static boolean ordersTableExists(JdbcTemplate jdbc) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'PUBLIC' AND TABLE_NAME = 'ORDERS'",
                                   Integer.class) == 1;
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        @Bean
        SmartInitializingSingleton singletonsCreated(JdbcTemplate jdbc) {
            return () -> events.add("singletons created; orders table: " + ordersTableExists(jdbc));
        }
    }
}
