package dev.lifecycle.examples;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The example's own variables fed negative, zero, unparsable, overflowing and blank values: the combinations that
 * {@link ServiceConfigTest} leaves out. Each fails with one message naming the variable, the value and the expectation.
 */
class ServiceConfigBadValuesTest {

    private static final String PORT = " (expected: 0 to 65535; 0 = any free port)";
    private static final String SCHEMA = " (expected: a schema version >= 1, or latest)";
    private static final String LOCATIONS = " (expected: comma-separated filesystem:<dir> or classpath:<package> "
                                            + "locations)";
    private static final String JDBC = " (expected: a JDBC URL such as jdbc:postgresql://host:5432/db)";

    // Proves: each variable rejects the bad values of its kind with an exact message naming variable and value.
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "PORT                   | -1                | PORT",
            "PORT                   | 99999999999       | PORT",
            "PORT                   | ''                | PORT",
            "PORT                   | ' '               | PORT",
            "PORT                   | 80.5              | PORT",
            "BIND_ADDRESS           | ''                | an IP address or host name",
            "INSTANCE_ID            | '\t'              | not blank",
            "DATA_DIR               | ' '               | a directory path",
            "DATABASE_URL           | ''                | JDBC",
            "DATABASE_URL           | ' jdbc:h2:mem:x'  | JDBC",
            "DB_SCHEMA_TARGET       | -1                | SCHEMA",
            "DB_SCHEMA_TARGET       | 99999999999       | SCHEMA",
            "DB_SCHEMA_TARGET       | ''                | SCHEMA",
            "DB_SCHEMA_TARGET       | LATEST            | SCHEMA",
            "FLYWAY_EXTRA_LOCATIONS | 'filesystem:/a,/b' | LOCATIONS",
            "FLYWAY_EXTRA_LOCATIONS | ',classpath:db/x' | LOCATIONS",
    })
    void badValuesAreRejectedNamingVariableValueAndExpectation(String variable, String value, String expected) {
        String expectation = switch (expected) {
            case "PORT" -> PORT;
            case "SCHEMA" -> SCHEMA;
            case "LOCATIONS" -> LOCATIONS;
            case "JDBC" -> JDBC;
            default -> " (expected: " + expected + ")";
        };

        assertThatThrownBy(() -> ServiceConfig.fromEnvironment(Map.of(variable, value)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(variable + ": '" + value + "'" + expectation);
    }

    // Proves: a path the file system cannot represent and a password without a database are rejected by name.
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "DATA_DIR          | /var/lib/\0users | DATA_DIR: '/var/lib/\0users' (expected: a directory path)",
            "DATABASE_PASSWORD | secret           | DATABASE_PASSWORD is set but DATABASE_URL is not (expected: both, "
                    + "or neither for the embedded H2)",
    })
    void otherBadValuesAreRejectedByName(String variable, String value, String message) {
        assertThatThrownBy(() -> ServiceConfig.fromEnvironment(Map.of(variable, value)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message)
                .hasMessageNotContaining("secret");
    }
}
