package io.splitguard.schemas.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * The body of {@code POST /api/v2/integrations/crm/contact/update}, read from a document that has
 * already passed {@link io.splitguard.schemas.json.SchemaId#CRM_CONTACT_UPDATE}.
 */
public record CrmContactUpdate(String sessionId, String contactId, String operation, JsonNode payload) {

    public static CrmContactUpdate from(JsonNode validated) {
        return new CrmContactUpdate(
                validated.path("session_id").asText(),
                validated.path("contact_id").asText(),
                validated.path("operation").asText(),
                validated.path("payload"));
    }

    /** {@code payload.timestamp} truncated to the second, when present and parseable. */
    public Optional<Instant> timestampToSecond() {
        JsonNode ts = payload.path("timestamp");
        if (!ts.isTextual()) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(ts.asText()).toInstant().truncatedTo(ChronoUnit.SECONDS));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
