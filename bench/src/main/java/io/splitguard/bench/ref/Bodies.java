package io.splitguard.bench.ref;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import java.io.IOException;
import java.util.Optional;

/** The JSON work both reference endpoints share: parse the request, pick the session, write an answer. */
final class Bodies {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Bodies() {}

    /** The body's {@code session_id}, or empty when the body is not a JSON object with one. */
    static Optional<String> sessionId(byte[] body) {
        if (body == null || body.length == 0) {
            return Optional.empty();
        }
        try {
            JsonNode document = MAPPER.readTree(body);
            JsonNode session = document == null ? null : document.get("session_id");
            return session != null && session.isTextual() ? Optional.of(session.asText()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The body as a JSON object, or null when it is empty, not JSON or not an object. */
    static JsonNode object(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            JsonNode document = MAPPER.readTree(body);
            return document != null && document.isObject() ? document : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** A non-empty string field of {@code document}, or null. */
    static String text(JsonNode document, String field) {
        JsonNode node = document == null ? null : document.get(field);
        return node != null && node.isTextual() && !node.textValue().isEmpty() ? node.textValue() : null;
    }

    static HttpResponse<byte[]> accepted(String sessionId) {
        ObjectNode answer = MAPPER.createObjectNode();
        answer.put("status", "accepted");
        answer.put("session_id", sessionId);
        try {
            return HttpResponse.ok(MAPPER.writeValueAsBytes(answer)).contentType(MediaType.APPLICATION_JSON_TYPE);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static HttpResponse<byte[]> error(HttpStatus status) {
        return HttpResponse.<byte[]>status(status)
                .contentType(MediaType.APPLICATION_JSON_TYPE)
                .body(("{\"status\":" + status.getCode() + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
