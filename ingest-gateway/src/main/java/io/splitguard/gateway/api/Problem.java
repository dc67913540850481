package io.splitguard.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.splitguard.schemas.json.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An RFC 9457 problem document. Every error answer of the gateway is one of these, rendered as
 * {@code application/problem+json}. Extension members (e.g. {@code errors}) go in {@code extensions}.
 */
public record Problem(
        String type, String title, int status, String detail, String instance, Map<String, Object> extensions) {

    public static final String MEDIA_TYPE = "application/problem+json";
    public static final String TYPE_BASE = "https://splitguard.io/problems/";
    public static final String ABOUT_BLANK = "about:blank";

    public Problem {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(title, "title");
        extensions = extensions == null ? Map.of() : Map.copyOf(extensions);
    }

    /** A problem of a SplitGuard-specific type, {@code https://splitguard.io/problems/<slug>}. */
    public static Problem of(String slug, HttpStatus status, String title, String detail) {
        return new Problem(TYPE_BASE + slug, title, status.getCode(), detail, null, Map.of());
    }

    /** A problem that says no more than its HTTP status ({@code about:blank}). */
    public static Problem ofStatus(int status, String reason, String detail) {
        return new Problem(ABOUT_BLANK, reason, status, detail, null, Map.of());
    }

    public Problem withInstance(String instance) {
        return new Problem(type, title, status, detail, instance, extensions);
    }

    public Problem with(String member, Object value) {
        Map<String, Object> more = new LinkedHashMap<>(extensions);
        more.put(member, value);
        return new Problem(type, title, status, detail, instance, more);
    }

    /** The document; extension members never override the five standard ones. */
    public ObjectNode toJson() {
        ObjectNode node = Json.mapper().createObjectNode();
        node.put("type", type);
        node.put("title", title);
        node.put("status", status);
        if (detail != null) {
            node.put("detail", detail);
        }
        if (instance != null) {
            node.put("instance", instance);
        }
        extensions.forEach((name, value) -> {
            if (!node.has(name)) {
                node.set(name, Json.mapper().valueToTree(value));
            }
        });
        return node;
    }

    public byte[] toBytes() {
        try {
            return Json.mapper().writeValueAsBytes(toJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a problem document is always serializable", e);
        }
    }

    /** A complete HTTP answer carrying this problem. */
    public MutableHttpResponse<byte[]> toResponse() {
        return HttpResponse.<byte[]>status(HttpStatus.valueOf(status))
                .contentType(MEDIA_TYPE)
                .body(toBytes());
    }
}
