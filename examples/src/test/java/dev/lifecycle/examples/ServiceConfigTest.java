package dev.lifecycle.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

class ServiceConfigTest {

    @Test
    void instanceIdFallsBackToTheHostNameWhenNeitherInstanceIdNorHostnameIsSet() throws Exception {
        ServiceConfig config = ServiceConfig.fromEnvironment(Map.of());

        assertThat(config.instanceId()).isEqualTo(InetAddress.getLocalHost().getHostName());
    }

    @Test
    void defaultsServeH2OnPort8080OfEveryInterface() {
        ServiceConfig config = ServiceConfig.fromEnvironment(Map.of("HOSTNAME", "pod-1"));

        assertThat(config.port()).isEqualTo(8080);
        assertThat(config.bindAddress()).isEqualTo("0.0.0.0");
        assertThat(config.instanceId()).isEqualTo("pod-1");
        assertThat(config.dataDirectory()).isEqualTo(Path.of("data").toAbsolutePath());
        assertThat(config.embeddedDatabase()).isTrue();
        assertThat(config.schemaTarget()).isEmpty();
        assertThat(config.extraMigrationLocations()).isEmpty();
    }

    @Test
    void readsEveryVariable() {
        ServiceConfig config = ServiceConfig.fromEnvironment(Map.of(
                "PORT", "0", "BIND_ADDRESS", "127.0.0.1", "INSTANCE_ID", "blue-2", "DATA_DIR", "/var/lib/users",
                "DATABASE_URL", "jdbc:postgresql://db:5432/users", "DATABASE_USER", "app",
                "DATABASE_PASSWORD", "secret", "DB_SCHEMA_TARGET", "1",
                "FLYWAY_EXTRA_LOCATIONS", "filesystem:/tmp/a, classpath:db/extra"));

        assertThat(config.port()).isZero();
        assertThat(config.bindAddress()).isEqualTo("127.0.0.1");
        assertThat(config.instanceId()).isEqualTo("blue-2");
        assertThat(config.dataDirectory()).isEqualTo(Path.of("/var/lib/users"));
        assertThat(config.embeddedDatabase()).isFalse();
        assertThat(config.databaseUser()).isEqualTo("app");
        assertThat(config.schemaTarget()).isEqualTo(OptionalInt.of(1));
        assertThat(config.extraMigrationLocations()).containsExactly("filesystem:/tmp/a", "classpath:db/extra");
        assertThat(config.toString()).doesNotContain("secret");
    }

    @Test
    void latestIsAnExplicitSchemaTarget() {
        assertThat(ServiceConfig.fromEnvironment(Map.of("DB_SCHEMA_TARGET", "latest")).schemaTarget()).isEmpty();
    }

    @Test
    void badValuesAreRejectedNamingTheVariable() {
        assertRejected(Map.of("PORT", "http"), "PORT: 'http' (expected: 0 to 65535; 0 = any free port)");
        assertRejected(Map.of("PORT", "65536"), "PORT: '65536' (expected: 0 to 65535; 0 = any free port)");
        assertRejected(Map.of("BIND_ADDRESS", " "), "BIND_ADDRESS: ' ' (expected: an IP address or host name)");
        assertRejected(Map.of("INSTANCE_ID", ""), "INSTANCE_ID: '' (expected: not blank)");
        assertRejected(Map.of("DATA_DIR", ""), "DATA_DIR: '' (expected: a directory path)");
        assertRejected(Map.of("DATABASE_URL", "postgres://db/users?password=secret"),
                       "DATABASE_URL: 'postgres://db/users?...' (expected: a JDBC URL such as "
                       + "jdbc:postgresql://host:5432/db)");
        assertRejected(Map.of("DATABASE_USER", "app"),
                       "DATABASE_USER is set but DATABASE_URL is not (expected: both, or neither for the embedded H2)");
        assertRejected(Map.of("DB_SCHEMA_TARGET", "0"), "DB_SCHEMA_TARGET: '0' (expected: a schema version >= 1, "
                                                         + "or latest)");
        assertRejected(Map.of("DB_SCHEMA_TARGET", "v2"), "DB_SCHEMA_TARGET: 'v2' (expected: a schema version >= 1, "
                                                          + "or latest)");
        assertRejected(Map.of("FLYWAY_EXTRA_LOCATIONS", "/tmp/x"),
                       "FLYWAY_EXTRA_LOCATIONS: '/tmp/x' (expected: comma-separated filesystem:<dir> or "
                       + "classpath:<package> locations)");
    }

    @Test
    void latestVersionIsTheNewestMigrationScript() throws Exception {
        Path scripts = Path.of(ServiceConfigTest.class.getResource("/db/migration").toURI());
        Pattern versioned = Pattern.compile("V(\\d+)__\\w+\\.sql");
        List<Integer> versions;
        try (Stream<Path> files = Files.list(scripts)) {
            versions = files.map(file -> versioned.matcher(file.getFileName().toString()))
                            .filter(Matcher::matches)
                            .map(matcher -> Integer.valueOf(matcher.group(1)))
                            .sorted()
                            .toList();
        }
        assertThat(versions).containsExactly(1, 2);
        assertThat(Migrations.LATEST_VERSION).isEqualTo(versions.get(versions.size() - 1));
    }

    private static void assertRejected(Map<String, String> env, String message) {
        assertThatThrownBy(() -> ServiceConfig.fromEnvironment(env))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    // Regression: a URL with user info (postgres://app:secret@db/users) went into the error message and the start log.
    @Test
    void databaseUrlCredentialsAreNeverPrinted() {
        assertThat(ServiceConfig.redact("postgres://app:hunter2@db:5432/users?sslmode=require&password=x"))
                .isEqualTo("postgres://***@db:5432/users?...");
        assertThat(ServiceConfig.redact("jdbc:postgresql://app:hunter2@db/users")).isEqualTo("jdbc:postgresql://***@db/users");
        assertThat(ServiceConfig.redact("jdbc:postgresql://db:5432/users")).isEqualTo("jdbc:postgresql://db:5432/users");
        assertThat(ServiceConfig.redact("jdbc:h2:file:/data/x@y")).isEqualTo("jdbc:h2:file:/data/x@y");
        assertThatThrownBy(() -> ServiceConfig.fromEnvironment(Map.of("DATABASE_URL", "postgres://app:hunter2@db/users")))
                .hasMessageNotContaining("hunter2")
                .hasMessageContaining("***@db/users");
    }
}
