package dev.lifecycle.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PostgresServerTest {

    private static PostgresServer postgres;

    @BeforeAll
    static void startServer() {
        postgres = PostgresServer.start();
    }

    @AfterAll
    static void stopServer() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void acceptsJdbcConnectionsToItsDatabaseOnLoopback() throws Exception {
        assertThat(postgres.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:" + postgres.port() + "/test");
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(),
                                                                 postgres.password());
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE t (id int PRIMARY KEY, name text)");
            statement.execute("INSERT INTO t VALUES (1, 'one')");
            try (ResultSet rs = statement.executeQuery("SELECT current_database(), name FROM t")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("test");
                assertThat(rs.getString(2)).isEqualTo("one");
            }
        }
    }

    @Test
    void createsFurtherDatabases() throws Exception {
        postgres.createDatabase("second_db");
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl("second_db"), postgres.user(),
                                                                 postgres.password());
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT current_database()")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("second_db");
        }
    }

    @Test
    void rejectsDatabaseNamesThatAreNotPlainIdentifiers() {
        assertThatThrownBy(() -> postgres.createDatabase("x; DROP DATABASE test"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("database name: 'x; DROP DATABASE test' (expected: ");
    }

    @Test
    void reportsTheCommandOutputWhenCreatingAnExistingDatabase() {
        assertThatThrownBy(() -> postgres.createDatabase(PostgresServer.DATABASE))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already exists");
    }

    @Test
    void closeStopsTheServerAndDeletesItsDirectory() throws Exception {
        PostgresServer other = PostgresServer.start();
        Path directory = other.directory();
        int port = other.port();
        try (Connection connection = DriverManager.getConnection(other.jdbcUrl(), other.user(), other.password())) {
            assertThat(connection.isValid(5)).isTrue();
        }

        other.close();
        other.close();

        assertThat(directory).doesNotExist();
        assertThatThrownBy(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            }
        }).isInstanceOf(java.net.ConnectException.class);
        assertThat(Files.exists(directory)).isFalse();
    }
}
