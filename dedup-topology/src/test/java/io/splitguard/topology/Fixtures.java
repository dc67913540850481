package io.splitguard.topology;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.PayloadHash;
import io.splitguard.schemas.model.IdempotencyKeys;
import io.splitguard.schemas.model.MutationRequest;
import java.time.Instant;
import java.util.UUID;

/** Builders of topic values for the dedup tests. */
public final class Fixtures {

    private Fixtures() {}

    /** {@link #request} carrying a lease's fencing token. */
    public static MutationRequest request(String session, String key, String notes, Instant at, Long fencingToken) {
        MutationRequest r = request(session, key, notes, at);
        return new MutationRequest(
                r.schemaVersion(),
                r.requestId(),
                r.tenant(),
                r.route(),
                r.sessionId(),
                r.idempotencyKey(),
                r.keyDerived(),
                r.scopedKey(),
                r.payloadHash(),
                r.receivedAt(),
                fencingToken,
                r.body());
    }

    public static MutationRequest request(String session, String key, String notes, Instant at) {
        JsonNode body = Json.mapper()
                .createObjectNode()
                .put("session_id", session)
                .put("contact_id", "cust_1")
                .put("operation", "UPDATE_NOTES")
                .set("payload", Json.mapper().createObjectNode().put("notes", notes));
        return new MutationRequest(
                MutationRequest.CURRENT_SCHEMA_VERSION,
                UUID.randomUUID().toString(),
                "tenant-a",
                "crm.contact.update",
                session,
                key,
                false,
                IdempotencyKeys.scoped("tenant-a", "crm.contact.update", session, key),
                PayloadHash.of(body),
                at,
                null,
                body);
    }
}
