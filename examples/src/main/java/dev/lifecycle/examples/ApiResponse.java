package dev.lifecycle.examples;

import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A response of the API, whichever server writes it: a status, headers beyond {@code Content-Type} and
 * {@code Content-Length}, and a JSON body ({@code {"error":"..."}} for errors).
 */
record ApiResponse(int status, Map<String, String> headers, JsonNode body) {

    static final ObjectMapper MAPPER = new ObjectMapper();
    static final String CONTENT_TYPE = "application/json";

    ApiResponse {
        headers = Map.copyOf(headers);
    }

    static ApiResponse json(int status, JsonNode body) {
        return new ApiResponse(status, Map.of(), body);
    }

    static ApiResponse error(int status, String message) {
        ObjectNode body = MAPPER.createObjectNode();
        body.put("error", message);
        return json(status, body);
    }

    ApiResponse withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new ApiResponse(status, more, body);
    }

    /** The body in UTF-8. */
    byte[] bodyBytes() {
        try {
            return MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            // A tree of strings and numbers always serializes.
            throw new UncheckedIOException(e);
        }
    }
}
