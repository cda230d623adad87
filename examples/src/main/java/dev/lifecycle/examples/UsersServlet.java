package dev.lifecycle.examples;

import java.io.IOException;
import java.io.InputStream;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The users API, mapped on {@code /users} and {@code /users/*}:
 * <ul>
 * <li>{@code POST /users} with {@code {"name": "...", "email": "..."}} (email optional): 201 with the user and a
 *     {@code Location};</li>
 * <li>{@code GET /users/{id}}: the user, or 404;</li>
 * <li>{@code GET /users?limit=N&after=ID}: a page of at most {@code limit} (default 50, at most 500) users with an id
 *     greater than {@code after}, by id.</li>
 * </ul>
 * Bad JSON, a missing name or a bad parameter: 400 with {@code {"error": "..."}}.
 */
final class UsersServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger logger = LoggerFactory.getLogger(UsersServlet.class);

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;
    static final int MAX_NAME_LENGTH = 200;
    static final int MAX_EMAIL_LENGTH = 320;
    private static final int MAX_BODY_BYTES = 16 * 1024;

    private final transient UserRepository users;

    UsersServlet(UserRepository users) {
        this.users = users;
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!isCollection(request)) {
            response.setHeader("Allow", "GET");
            JsonResponses.error(response, 405, "use POST /users to create a user");
            return;
        }
        JsonNode body;
        try (InputStream in = request.getInputStream()) {
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                JsonResponses.error(response, 400, "body larger than " + MAX_BODY_BYTES + " bytes");
                return;
            }
            body = JsonResponses.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            JsonResponses.error(response, 400, "malformed JSON");
            return;
        }
        if (body == null || !body.isObject()) {
            JsonResponses.error(response, 400, "expected a JSON object such as {\"name\": \"Ada\"}");
            return;
        }
        JsonNode name = body.get("name");
        if (name == null || !name.isTextual() || name.asText().isBlank()) {
            JsonResponses.error(response, 400, "name: missing (expected: a non-blank string)");
            return;
        }
        if (name.asText().length() > MAX_NAME_LENGTH) {
            JsonResponses.error(response, 400, "name: too long (expected: at most " + MAX_NAME_LENGTH + " characters)");
            return;
        }
        JsonNode email = body.get("email");
        if (email != null && !email.isNull()
            && (!email.isTextual() || email.asText().length() > MAX_EMAIL_LENGTH || !email.asText().contains("@"))) {
            JsonResponses.error(response, 400, "email: invalid (expected: an address of at most " + MAX_EMAIL_LENGTH
                                               + " characters)");
            return;
        }
        try {
            UserRepository.User user = users.create(name.asText().strip(),
                                                    email == null || email.isNull() ? null : email.asText());
            response.setHeader("Location", "/users/" + user.id());
            JsonResponses.send(response, 201, toJson(user));
        } catch (SQLException e) {
            databaseError(response, e);
        }
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            if (isCollection(request)) {
                list(request, response);
            } else {
                findOne(request.getPathInfo().substring(1), response);
            }
        } catch (SQLException e) {
            databaseError(response, e);
        }
    }

    private void findOne(String id, HttpServletResponse response) throws IOException, SQLException {
        Optional<UserRepository.User> user = Optional.empty();
        if (id.matches("[1-9][0-9]{0,17}")) {
            user = users.find(Long.parseLong(id));
        }
        if (user.isPresent()) {
            JsonResponses.send(response, 200, toJson(user.get()));
        } else {
            JsonResponses.error(response, 404, "no user with id '" + id + "'");
        }
    }

    private void list(HttpServletRequest request, HttpServletResponse response) throws IOException, SQLException {
        long limit = parameter(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
        long after = parameter(request, "after", 0, 0, Long.MAX_VALUE);
        if (limit < 0 || after < 0) {
            JsonResponses.error(response, 400, limit < 0
                    ? "limit: '" + request.getParameter("limit") + "' (expected: 1 to " + MAX_LIMIT + ")"
                    : "after: '" + request.getParameter("after") + "' (expected: a user id >= 0)");
            return;
        }
        List<UserRepository.User> page = users.list(after, (int) limit);
        ObjectNode body = JsonResponses.MAPPER.createObjectNode();
        ArrayNode items = body.putArray("users");
        page.forEach(user -> items.add(toJson(user)));
        if (page.size() == limit) {
            body.put("next", "/users?limit=" + limit + "&after=" + page.get(page.size() - 1).id());
        }
        JsonResponses.send(response, 200, body);
    }

    /** The parameter's value, its default when absent, or -1 when it is not an integer within the bounds. */
    private static long parameter(HttpServletRequest request, String name, long defaultValue, long min, long max) {
        String text = request.getParameter(name);
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

    private static boolean isCollection(HttpServletRequest request) {
        String pathInfo = request.getPathInfo();
        return pathInfo == null || pathInfo.equals("/");
    }

    private ObjectNode toJson(UserRepository.User user) {
        ObjectNode node = JsonResponses.MAPPER.createObjectNode();
        node.put("id", user.id());
        node.put("name", user.name());
        if (users.storesEmail()) {
            node.put("email", user.email());
        }
        node.put("createdAt", user.createdAt().toInstant().toString());
        return node;
    }

    private static void databaseError(HttpServletResponse response, SQLException e) throws IOException {
        // An exceptional event, not a per-request log: the pool or the database is in trouble.
        logger.warn("Database error: {}", e.toString());
        response.setHeader("Retry-After", "1");
        JsonResponses.error(response, 503, "database unavailable");
    }
}
