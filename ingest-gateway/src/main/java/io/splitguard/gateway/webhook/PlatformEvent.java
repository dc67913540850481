package io.splitguard.gateway.webhook;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.gateway.config.WebhookPlatformSettings;
import io.splitguard.schemas.json.Json;
import java.util.regex.Pattern;

/**
 * What the pipeline takes from one platform notification: the session it belongs to, its event id,
 * time and type, found by the platform's JSON Pointers, and the notification itself as delivered.
 *
 * <p>The document written to the pipeline is {@code {"platform", "event_id"?, "event_type"?, "event_time"?,
 * "operation", "payload": <notification>}}: the sink stores it like a CRM update (route {@code
 * webhook.<platform>}, operation = the event type, payload = the notification).
 *
 * @param eventId the platform's event id, or null when the notification has none
 * @param eventTime the event's time as the platform wrote it, or null (recorded only; no window runs on it)
 * @param eventType the event's type, or null
 */
public record PlatformEvent(
        String platform, String sessionId, String eventId, String eventTime, String eventType, JsonNode notification) {

    /** A session id the pipeline can key by: what the CRM update contract allows. */
    private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private static final int MAX_EVENT_FIELD = 255;

    /** A notification the pipeline cannot take; {@code pointer} names the setting that did not resolve. */
    public static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String pointer;

        Refused(String pointer, String message) {
            super(message, null, false, false);
            this.pointer = pointer;
        }

        public String pointer() {
            return pointer;
        }
    }

    /**
     * Reads {@code notification} as {@code platform} says.
     *
     * @throws Refused when the notification is not an object, or the session id is missing or not one
     *     the pipeline can key by
     */
    public static PlatformEvent of(WebhookPlatformSettings platform, JsonNode notification) {
        if (notification == null || !notification.isObject()) {
            throw new Refused("", "The notification must be a JSON object.");
        }
        String sessionPointer = platform.getSessionIdPointer();
        String sessionId = text(notification, sessionPointer);
        if (sessionId == null) {
            throw new Refused(
                    sessionPointer,
                    "The notification has no session id at " + sessionPointer + " (a string or number is required).");
        }
        if (!SESSION_ID.matcher(sessionId).matches()) {
            throw new Refused(
                    sessionPointer,
                    "The session id at " + sessionPointer
                            + " must have 1 to 128 characters among letters, digits and . _ : -");
        }
        return new PlatformEvent(
                platform.getName(),
                sessionId,
                bounded(text(notification, platform.getEventIdPointer()), platform.getEventIdPointer()),
                bounded(text(notification, platform.getEventTimePointer()), platform.getEventTimePointer()),
                bounded(text(notification, platform.getEventTypePointer()), platform.getEventTypePointer()),
                notification);
    }

    /** The document written to the pipeline (see the class comment). */
    public ObjectNode document() {
        ObjectNode doc = Json.mapper().createObjectNode();
        doc.put("platform", platform);
        if (eventId != null) {
            doc.put("event_id", eventId);
        }
        if (eventType != null) {
            doc.put("event_type", eventType);
        }
        if (eventTime != null) {
            doc.put("event_time", eventTime);
        }
        doc.put("operation", eventType != null ? eventType : "platform_event");
        doc.set("payload", notification);
        return doc;
    }

    /** The scalar at {@code pointer} as text; null when the pointer is empty, absent, or not a string or number. */
    private static String text(JsonNode node, String pointer) {
        if (pointer == null || pointer.isBlank()) {
            return null;
        }
        JsonNode value;
        try {
            value = node.at(JsonPointer.compile(pointer));
        } catch (IllegalArgumentException e) {
            throw new Refused(pointer, "The configured pointer " + pointer + " is not a JSON Pointer.");
        }
        if (value.isTextual() && !value.asText().isEmpty()) {
            return value.asText();
        }
        if (value.isIntegralNumber()) {
            return value.asText();
        }
        return null;
    }

    private static String bounded(String value, String pointer) {
        if (value != null && value.length() > MAX_EVENT_FIELD) {
            throw new Refused(pointer, "The value at " + pointer + " exceeds " + MAX_EVENT_FIELD + " characters.");
        }
        return value;
    }
}
