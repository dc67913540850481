package io.splitguard.schemas.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Hashes a JSON document independently of key order, white space and the spelling of numbers, so
 * that a retried request whose client re-serialized the same body gets the same hash: {@code 1},
 * {@code 1.0} and {@code 1e0} are one number, as they are to PostgreSQL's {@code jsonb}. The value is
 * {@code sha256:<hex>}.
 */
public final class PayloadHash {

    public static final String PREFIX = "sha256:";

    private PayloadHash() {}

    public static String of(JsonNode document) {
        try {
            byte[] canonical = Json.mapper().writeValueAsBytes(canonical(document));
            return PREFIX + sha256Hex(canonical);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("document cannot be serialized", e);
        }
    }

    /**
     * The comparison hash of a body whose idempotency key was derived (no {@code Idempotency-Key}):
     * {@code payload.timestamp} counts only to the second, as it does in the derived key, so a
     * platform retry that differs only in milliseconds hashes the same.
     */
    public static String ofDerived(JsonNode document, java.time.Instant timestampToSecond) {
        JsonNode copy = document.deepCopy();
        JsonNode payload = copy.path("payload");
        if (payload instanceof ObjectNode object) {
            object.put("timestamp", timestampToSecond.toString());
        }
        return of(copy);
    }

    /** {@code sha256:<hex>} of the UTF-8 bytes of {@code text}. */
    public static String ofText(String text) {
        return PREFIX + sha256Hex(text.getBytes(StandardCharsets.UTF_8));
    }

    static JsonNode canonical(JsonNode node) {
        if (node.isObject()) {
            List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(node.properties());
            fields.sort(Map.Entry.comparingByKey());
            ObjectNode sorted = JsonNodeFactory.instance.objectNode();
            for (Map.Entry<String, JsonNode> field : fields) {
                sorted.set(field.getKey(), canonical(field.getValue()));
            }
            return sorted;
        }
        if (node.isArray()) {
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            node.forEach(element -> array.add(canonical(element)));
            return array;
        }
        if (node.isNumber()) {
            BigDecimal value = node.decimalValue().stripTrailingZeros();
            return value.scale() <= 0
                    ? JsonNodeFactory.instance.numberNode(value.toBigIntegerExact())
                    : JsonNodeFactory.instance.numberNode(value);
        }
        return node;
    }

    private static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
