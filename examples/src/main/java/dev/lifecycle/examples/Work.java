package dev.lifecycle.examples;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code GET /work?ms=N}, whichever server serves it: a slow request that takes N milliseconds (0 to 60000), so that
 * a rollout can be watched with requests in flight. A missing or bad {@code ms} gets 400.
 */
final class Work {

    static final long MAX_MS = 60_000;

    private Work() {
    }

    /** The duration asked by the {@code ms} parameter ({@code null} when absent), or -1 when it is not valid. */
    static long millis(String msParameter) {
        if (msParameter == null || !msParameter.matches("[0-9]{1,6}")) {
            return -1;
        }
        long ms = Long.parseLong(msParameter);
        return ms <= MAX_MS ? ms : -1;
    }

    /** The answer to a bad {@code ms} parameter. */
    static ApiResponse badMillis(String msParameter) {
        return ApiResponse.error(400, "ms: '" + msParameter + "' (expected: 0 to " + MAX_MS + ")");
    }

    /** The answer once the work is done. */
    static ApiResponse done(long ms) {
        ObjectNode body = ApiResponse.MAPPER.createObjectNode();
        body.put("workedMs", ms);
        return ApiResponse.json(200, body);
    }
}
