package dev.lifecycle.examples;

import java.io.IOException;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The users API, whichever server serves it: request validation, the repository call and the JSON answer.
 * <ul>
 * <li>{@code POST /users} with {@code {"name": "...", "email": "..."}} (email optional): 201 with the user and a
 *     {@code Location};</li>
 * <li>{@code GET /users/{id}}: the user, or 404;</li>
 * <li>{@code GET /users?limit=N&after=ID}: a page of at most {@code limit} (default 50, at most 500) users with an id
 *     greater than {@code after}, by id.</li>
 * </ul>
 * Bad JSON, a missing name or a bad parameter: 400 with {@code {"error": "..."}}; a database error: 503. Every method
 * blocks on JDBC: never call it on an event loop.
 */
final class UsersApi {

    private static final Logger logger = LoggerFactory.getLogger(UsersApi.class);

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;
    static final int MAX_NAME_LENGTH = 200;
    static final int MAX_EMAIL_LENGTH = 320;
    /** The largest body {@link #create} accepts; a server reads at most one byte more. */
    static final int MAX_BODY_BYTES = 16 * 1024;

    private final UserRepository users;

    UsersApi(UserRepository users) {
        this.users = users;
    }

    /** {@code POST /users}. */
    ApiResponse create(byte[] bytes) {
        if (bytes.length > MAX_BODY_BYTES) {
            return ApiResponse.error(400, "body larger than " + MAX_BODY_BYTES + " bytes");
        }
        JsonNode body;
        try {
            body = ApiResponse.MAPPER.readTree(bytes);
        } catch (IOException e) {
            return ApiResponse.error(400, "malformed JSON");
        }
        if (body == null || !body.isObject()) {
            return ApiResponse.error(400, "expected a JSON object such as {\"name\": \"Ada\"}");
        }
        JsonNode name = body.get("name");
        if (name == null || !name.isTextual() || name.asText().isBlank()) {
            return ApiResponse.error(400, "name: missing (expected: a non-blank string)");
        }
        if (name.asText().length() > MAX_NAME_LENGTH) {
            return ApiResponse.error(400, "name: too long (expected: at most " + MAX_NAME_LENGTH + " characters)");
        }
        JsonNode email = body.get("email");
        if (email != null && !email.isNull()
            && (!email.isTextual() || email.asText().length() > MAX_EMAIL_LENGTH || !email.asText().contains("@"))) {
            return ApiResponse.error(400, "email: invalid (expected: an address of at most " + MAX_EMAIL_LENGTH
                                          + " characters)");
        }
        try {
            UserRepository.User user = users.create(name.asText().strip(),
                                                    email == null || email.isNull() ? null : email.asText());
            return ApiResponse.json(201, toJson(user)).withHeader("Location", "/users/" + user.id());
        } catch (SQLException e) {
            return databaseError(e);
        }
    }

    /** {@code POST /users/{id}}: users are created on the collection. */
    static ApiResponse postToOneUser() {
        return ApiResponse.error(405, "use POST /users to create a user").withHeader("Allow", "GET");
    }

    /** {@code GET /users/{id}}, {@code id} as it came in the path. */
    ApiResponse find(String id) {
        try {
            Optional<UserRepository.User> user = Optional.empty();
            if (id.matches("[1-9][0-9]{0,17}")) {
                user = users.find(Long.parseLong(id));
            }
            return user.isPresent() ? ApiResponse.json(200, toJson(user.get()))
                                    : ApiResponse.error(404, "no user with id '" + id + "'");
        } catch (SQLException e) {
            return databaseError(e);
        }
    }

    /** {@code GET /users}, with the query parameters {@code limit} and {@code after} ({@code null} when absent). */
    ApiResponse list(String limitParameter, String afterParameter) {
        long limit = parameter(limitParameter, DEFAULT_LIMIT, 1, MAX_LIMIT);
        long after = parameter(afterParameter, 0, 0, Long.MAX_VALUE);
        if (limit < 0) {
            return ApiResponse.error(400, "limit: '" + limitParameter + "' (expected: 1 to " + MAX_LIMIT + ")");
        }
        if (after < 0) {
            return ApiResponse.error(400, "after: '" + afterParameter + "' (expected: a user id >= 0)");
        }
        List<UserRepository.User> page;
        try {
            page = users.list(after, (int) limit);
        } catch (SQLException e) {
            return databaseError(e);
        }
        ObjectNode body = ApiResponse.MAPPER.createObjectNode();
        ArrayNode items = body.putArray("users");
        page.forEach(user -> items.add(toJson(user)));
        if (page.size() == limit) {
            body.put("next", "/users?limit=" + limit + "&after=" + page.get(page.size() - 1).id());
        }
        return ApiResponse.json(200, body);
    }

    /** The parameter's value, its default when absent, or -1 when it is not an integer within the bounds. */
    private static long parameter(String text, long defaultValue, long min, long max) {
        if (text == null) {
            return defaultValue;
        }
        try {
            long value = Long.parseLong(text);
            return value >= min && value <= max ? value : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private ObjectNode toJson(UserRepository.User user) {
        ObjectNode node = ApiResponse.MAPPER.createObjectNode();
        node.put("id", user.id());
        node.put("name", user.name());
        if (users.storesEmail()) {
            node.put("email", user.email());
        }
        node.put("createdAt", user.createdAt().toInstant().toString());
        return node;
    }

    private static ApiResponse databaseError(SQLException e) {
        // An exceptional event, not a per-request log: the pool or the database is in trouble.
        logger.warn("Database error: {}", e.toString());
        return ApiResponse.error(503, "database unavailable").withHeader("Retry-After", "1");
    }
}
