package dev.lifecycle.examples.spring;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The API of {@code examples/}: {@code POST /users}, {@code GET /users/{id}}, {@code GET /users?limit=&after=} and
 * {@code GET /work?ms=N}, with the same status codes and error bodies ({@code {"error": "..."}}).
 */
@RestController
class UsersController {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;
    static final long MAX_WORK_MS = 60_000;

    private final UserRepository users;

    UsersController(UserRepository users) {
        this.users = users;
    }

    @PostMapping("/users")
    ResponseEntity<Object> create(@RequestBody Object body) {
        if (!(body instanceof Map<?, ?> map)) {
            return error(HttpStatus.BAD_REQUEST, "expected a JSON object such as {\"name\": \"Ada\"}");
        }
        if (!(map.get("name") instanceof String name) || name.isBlank()) {
            return error(HttpStatus.BAD_REQUEST, "name: missing (expected: a non-blank string)");
        }
        if (name.length() > 200) {
            return error(HttpStatus.BAD_REQUEST, "name: too long (expected: at most 200 characters)");
        }
        Object email = map.get("email");
        if (email != null && (!(email instanceof String text) || text.length() > 320 || !text.contains("@"))) {
            return error(HttpStatus.BAD_REQUEST, "email: invalid (expected: an address of at most 320 characters)");
        }
        UserRepository.User user = users.create(name.strip(), (String) email);
        return ResponseEntity.created(URI.create("/users/" + user.id())).body(user.toJson());
    }

    @PostMapping("/users/{id}")
    ResponseEntity<Object> postToOneUser() {
        return ResponseEntity.status(HttpStatus.METHOD_NOT_ALLOWED).header(HttpHeaders.ALLOW, "GET")
                             .body(Map.of("error", "use POST /users to create a user"));
    }

    @GetMapping("/users/{id}")
    ResponseEntity<Object> find(@PathVariable("id") String id) {
        Optional<UserRepository.User> user = id.matches("[1-9][0-9]{0,17}") ? users.find(Long.parseLong(id))
                                                                              : Optional.empty();
        return user.<ResponseEntity<Object>>map(found -> ResponseEntity.ok(found.toJson()))
                .orElseGet(() -> error(HttpStatus.NOT_FOUND, "no user with id '" + id + "'"));
    }

    @GetMapping("/users")
    ResponseEntity<Object> list(@RequestParam(name = "limit", required = false) String limit,
                                @RequestParam(name = "after", required = false) String after) {
        long pageSize = parameter(limit, DEFAULT_LIMIT, 1, MAX_LIMIT);
        long afterId = parameter(after, 0, 0, Long.MAX_VALUE);
        if (pageSize < 0) {
            return error(HttpStatus.BAD_REQUEST, "limit: '" + limit + "' (expected: 1 to " + MAX_LIMIT + ")");
        }
        if (afterId < 0) {
            return error(HttpStatus.BAD_REQUEST, "after: '" + after + "' (expected: a user id >= 0)");
        }
        List<UserRepository.User> page = users.list(afterId, (int) pageSize);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("users", page.stream().map(UserRepository.User::toJson).toList());
        if (page.size() == pageSize) {
            body.put("next", "/users?limit=" + pageSize + "&after=" + page.get(page.size() - 1).id());
        }
        return ResponseEntity.ok(body);
    }

    @GetMapping("/work")
    ResponseEntity<Object> work(@RequestParam(name = "ms", required = false) String ms) throws InterruptedException {
        long millis = ms != null && ms.matches("[0-9]{1,6}") ? Long.parseLong(ms) : -1;
        if (millis < 0 || millis > MAX_WORK_MS) {
            return error(HttpStatus.BAD_REQUEST, "ms: '" + ms + "' (expected: 0 to " + MAX_WORK_MS + ")");
        }
        Thread.sleep(millis); // the point of this endpoint: a request that stays in flight
        return ResponseEntity.ok(Map.of("workedMs", millis));
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<Object> malformed() {
        return error(HttpStatus.BAD_REQUEST, "malformed JSON");
    }

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

    private static ResponseEntity<Object> error(HttpStatus status, String message) {
        return ResponseEntity.status(status).body(Map.of("error", message));
    }
}
