package dev.lifecycle.examples;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

/**
 * Users in the database. Every statement names its columns, so this code keeps working against the next schema
 * version (which may add columns), and the code of the previous version against this one. Whether the {@code email}
 * column (schema version 2) is used follows the schema target, so {@code DB_SCHEMA_TARGET=1} runs this build as the
 * previous version would.
 */
final class UserRepository {

    /** A user as stored; {@code email} is {@code null} when not given or when running against schema version 1. */
    record User(long id, String name, String email, OffsetDateTime createdAt) {
    }

    private final DataSource dataSource;
    private final boolean withEmail;
    private final String insert;
    private final String selectOne;
    private final String selectPage;

    UserRepository(DataSource dataSource, int schemaVersion) {
        this.dataSource = dataSource;
        this.withEmail = schemaVersion >= 2;
        String columns = withEmail ? "id, name, email, created_at" : "id, name, created_at";
        insert = withEmail ? "INSERT INTO users (name, email) VALUES (?, ?)" : "INSERT INTO users (name) VALUES (?)";
        selectOne = "SELECT " + columns + " FROM users WHERE id = ?";
        selectPage = "SELECT " + columns + " FROM users WHERE id > ? ORDER BY id LIMIT ?";
    }

    /** Whether this version stores e-mail addresses. */
    boolean storesEmail() {
        return withEmail;
    }

    User create(String name, String email) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            long id;
            try (PreparedStatement statement = connection.prepareStatement(insert, new String[] {"id"})) {
                statement.setString(1, name);
                if (withEmail) {
                    if (email == null) {
                        statement.setNull(2, Types.VARCHAR);
                    } else {
                        statement.setString(2, email);
                    }
                }
                statement.executeUpdate();
                try (ResultSet keys = statement.getGeneratedKeys()) {
                    if (!keys.next()) {
                        throw new SQLException("No generated id for the new user");
                    }
                    id = keys.getLong(1);
                }
            }
            return find(connection, id).orElseThrow(() -> new SQLException("User " + id + " vanished"));
        }
    }

    Optional<User> find(long id) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return find(connection, id);
        }
    }

    private Optional<User> find(Connection connection, long id) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(selectOne)) {
            statement.setLong(1, id);
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    /** Up to {@code limit} users with an id greater than {@code afterId}, by id. */
    List<User> list(long afterId, int limit) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(selectPage)) {
            statement.setLong(1, afterId);
            statement.setInt(2, limit);
            List<User> users = new ArrayList<>();
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    users.add(read(rs));
                }
            }
            return users;
        }
    }

    private User read(ResultSet rs) throws SQLException {
        return new User(rs.getLong("id"), rs.getString("name"), withEmail ? rs.getString("email") : null,
                        rs.getObject("created_at", OffsetDateTime.class));
    }
}
