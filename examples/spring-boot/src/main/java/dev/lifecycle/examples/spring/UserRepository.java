package dev.lifecycle.examples.spring;

import java.sql.Timestamp;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.stereotype.Repository;

/** The {@code users} table of the migrations V1 and V2, through JDBC; every statement names its columns. */
@Repository
class UserRepository {

    record User(long id, String name, String email, Timestamp createdAt) {

        Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("id", id);
            json.put("name", name);
            json.put("email", email);
            json.put("createdAt", createdAt.toInstant().toString());
            return json;
        }
    }

    private static final RowMapper<User> ROW = (rs, n) -> new User(rs.getLong("id"), rs.getString("name"),
                                                                  rs.getString("email"),
                                                                  rs.getTimestamp("created_at"));

    private final JdbcTemplate jdbc;

    UserRepository(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    User create(String name, String email) {
        GeneratedKeyHolder keys = new GeneratedKeyHolder();
        jdbc.update(connection -> {
            var statement = connection.prepareStatement("INSERT INTO users (name, email) VALUES (?, ?)",
                                                        new String[] {"id"});
            statement.setString(1, name);
            statement.setString(2, email);
            return statement;
        }, keys);
        return find(keys.getKey().longValue()).orElseThrow();
    }

    Optional<User> find(long id) {
        return jdbc.query("SELECT id, name, email, created_at FROM users WHERE id = ?", ROW, id).stream().findFirst();
    }

    List<User> list(long after, int limit) {
        return jdbc.query("SELECT id, name, email, created_at FROM users WHERE id > ? ORDER BY id LIMIT ?", ROW,
                          after, limit);
    }
}
