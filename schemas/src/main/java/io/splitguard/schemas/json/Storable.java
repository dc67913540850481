package io.splitguard.schemas.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What PostgreSQL can store exactly as it was sent. A body the gateway acknowledges must be storable
 * by the sink, so the gateway refuses (422) what {@code text}/{@code jsonb} would reject or alter:
 * <ul>
 *   <li>U+0000 in any string or member name ({@code text} and {@code jsonb} cannot hold it);
 *   <li>an unpaired UTF-16 surrogate ({@code jsonb} rejects {@code "\ud800"}; unescaped it would be
 *       stored as a replacement character, i.e. another body);
 *   <li>a number beyond PostgreSQL's {@code numeric}: more than {@value #MAX_INTEGER_DIGITS} digits
 *       before the decimal point (e.g. {@code 1e200000}) or more than {@value #MAX_FRACTION_DIGITS}
 *       after it. Numbers are read as exact decimals ({@link Json}), so every other number is stored
 *       exactly as sent.
 * </ul>
 */
public final class Storable {

    /** PostgreSQL {@code numeric}: digits before the decimal point. */
    public static final int MAX_INTEGER_DIGITS = 131_072;

    /** PostgreSQL {@code numeric}: digits after the decimal point. */
    public static final int MAX_FRACTION_DIGITS = 16_383;

    private Storable() {}

    /** Where and why {@code document} cannot be stored as sent; empty when it can. Pointers are JSON Pointers. */
    public static List<String> violations(JsonNode document) {
        List<String> found = new ArrayList<>();
        walk(document, "", found);
        return found;
    }

    /** The problem with {@code text} as a stored string, or null when it is fine. */
    public static String problemWith(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\u0000') {
                return "contains U+0000, which PostgreSQL cannot store";
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return "contains an unpaired UTF-16 surrogate";
            }
            if (Character.isLowSurrogate(c)) {
                return "contains an unpaired UTF-16 surrogate";
            }
        }
        return null;
    }

    private static void walk(JsonNode node, String pointer, List<String> found) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                String child = pointer + "/" + escape(field.getKey());
                String nameProblem = problemWith(field.getKey());
                if (nameProblem != null) {
                    found.add(child + ": member name " + nameProblem);
                }
                walk(field.getValue(), child, found);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), pointer + "/" + i, found);
            }
        } else if (node.isTextual()) {
            String problem = problemWith(node.textValue());
            if (problem != null) {
                found.add(pointerOrRoot(pointer) + ": " + problem);
            }
        } else if (node.isFloatingPointNumber() && !node.isBigDecimal()) {
            double value = node.doubleValue();
            if (Double.isNaN(value) || Double.isInfinite(value)) {
                found.add(pointerOrRoot(pointer) + ": number is out of range");
            }
        } else if (node.isNumber()) {
            java.math.BigDecimal value = node.decimalValue();
            long integerDigits = (long) value.precision() - value.scale();
            if (integerDigits > MAX_INTEGER_DIGITS || value.scale() > MAX_FRACTION_DIGITS) {
                found.add(pointerOrRoot(pointer) + ": number is out of range for PostgreSQL numeric");
            }
        }
    }

    private static String pointerOrRoot(String pointer) {
        return pointer.isEmpty() ? "/" : pointer;
    }

    private static String escape(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }
}
