package dev.lifecycle.zerodowntime;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Chooses the next request of the load; thread-safe. */
interface RequestMix {

    /** One request to send. {@code name} identifies its kind in logs, without any query string. */
    record Request(String name, String method, String target, String contentType, byte[] body) {

        byte[] encode(String host) {
            StringBuilder head = new StringBuilder(128)
                    .append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(host).append("\r\n")
                    .append("User-Agent: lifecycle-rollout-harness\r\n");
            if (body.length > 0 || method.equals("POST") || method.equals("PUT")) {
                head.append("Content-Type: ").append(contentType).append("\r\n")
                        .append("Content-Length: ").append(body.length).append("\r\n");
            }
            byte[] headBytes = head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
            byte[] all = new byte[headBytes.length + body.length];
            System.arraycopy(headBytes, 0, all, 0, headBytes.length);
            System.arraycopy(body, 0, all, headBytes.length, body.length);
            return all;
        }
    }

    Request next(Random random);

    /** Sees every complete 2xx response, e.g. to learn the ids of created resources. */
    default void onSuccess(Request request, ClientConnection.Response response) {
    }

    /**
     * The example service's mix: reads of known users, short lists, creations, and slow requests of 200 to 600 ms so
     * that requests are in flight whenever a replica receives SIGTERM.
     */
    static RequestMix exampleService() {
        return new ExampleServiceMix();
    }

    /** The same few requests, chosen uniformly: {@code "GET /path"} or {@code "POST /path {json}"}. */
    static RequestMix of(List<String> requests) {
        List<Request> parsed = requests.stream().map(RequestMix::parse).toList();
        if (parsed.isEmpty()) {
            throw new IllegalArgumentException("requests: [] (expected: at least one request)");
        }
        return random -> parsed.get(random.nextInt(parsed.size()));
    }

    private static Request parse(String spec) {
        Objects.requireNonNull(spec, "request cannot be null");
        String[] parts = spec.trim().split("\\s+", 3);
        if (parts.length < 2 || !parts[1].startsWith("/") || !parts[0].matches("[A-Za-z]+")) {
            throw new IllegalArgumentException("request: " + spec + " (expected: \"METHOD /path [body]\")");
        }
        int query = parts[1].indexOf('?');
        String name = parts[0].toUpperCase(Locale.ROOT) + ' ' + (query < 0 ? parts[1] : parts[1].substring(0, query));
        byte[] body = parts.length == 3 ? parts[2].getBytes(StandardCharsets.UTF_8) : new byte[0];
        return new Request(name, parts[0].toUpperCase(Locale.ROOT), parts[1], "application/json", body);
    }

    /** See {@link #exampleService()}. */
    final class ExampleServiceMix implements RequestMix {
        private static final Pattern ID_IN_LOCATION = Pattern.compile("/users/([^/?#\\s]+)$");
        private static final Pattern ID_IN_BODY = Pattern.compile("\"id\"\\s*:\\s*\"?([A-Za-z0-9-]+)");

        private final AtomicReferenceArray<String> knownIds = new AtomicReferenceArray<>(1024);
        private final AtomicLong created = new AtomicLong();
        private final AtomicLong names = new AtomicLong();

        @Override
        public Request next(Random random) {
            int dice = random.nextInt(100);
            long known = created.get();
            if (dice < 40 && known > 0) {
                String id = knownIds.get((int) ((known - 1 - random.nextInt((int) Math.min(known, 1024))) % 1024));
                if (id != null) {
                    return get("GET /users/{id}", "/users/" + id);
                }
            }
            if (dice < 55) {
                return get("GET /users", "/users?limit=5");
            }
            if (dice < 80) {
                long n = names.incrementAndGet();
                byte[] body = ("{\"name\":\"load-" + n + "\",\"email\":\"load-" + n + "@example.test\"}")
                        .getBytes(StandardCharsets.UTF_8);
                return new Request("POST /users", "POST", "/users", "application/json", body);
            }
            return get("GET /work", "/work?ms=" + (200 + random.nextInt(401)));
        }

        private static Request get(String name, String target) {
            return new Request(name, "GET", target, "application/json", new byte[0]);
        }

        @Override
        public void onSuccess(Request request, ClientConnection.Response response) {
            if (!request.name().equals("POST /users")) {
                return;
            }
            String id = null;
            if (response.location() != null) {
                Matcher m = ID_IN_LOCATION.matcher(response.location());
                id = m.find() ? m.group(1) : null;
            }
            if (id == null) {
                Matcher m = ID_IN_BODY.matcher(response.body());
                id = m.find() ? m.group(1) : null;
            }
            if (id != null) {
                // A reader may see a slot just counted but not yet written (null: it sends a list instead) or the
                // previous id of a reused slot, which is also an existing user.
                knownIds.set((int) (created.getAndIncrement() % 1024), id);
            }
        }
    }
}
