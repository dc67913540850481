package io.splitguard.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.CheckpointRequest;
import java.time.Instant;
import java.util.UUID;

/** Builders of checkpoints-in values for the checkpoint tests. */
public final class Fixtures {

    private Fixtures() {}

    /** The guide's variables with {@code queue} as the routing queue (and its transient menu selection). */
    public static JsonNode variables(String queue) {
        ObjectNode v = Json.mapper().createObjectNode();
        v.put("routing_queue", queue);
        v.put("crm_record_id", "cust_449201");
        v.put("auth_status", "verified");
        v.put("retry_count", 0);
        v.put("last_menu_selection", "billing_options");
        return v;
    }

    public static CheckpointRequest checkpoint(String session, long sequence, String queue, int ttlSeconds) {
        return checkpoint(session, sequence, queue, ttlSeconds, Instant.parse("2026-05-15T14:32:00Z"));
    }

    /** A checkpoint whose id carries {@code sequence}, as a gateway whose clock read {@code receivedAt} sent it. */
    public static CheckpointRequest checkpoint(
            String session, long sequence, String queue, int ttlSeconds, Instant receivedAt) {
        return new CheckpointRequest(
                session,
                "eu-west-1",
                "chk_" + sequence,
                variables(queue),
                ttlSeconds,
                null,
                "flow-7",
                null,
                UUID.randomUUID().toString(),
                receivedAt);
    }
}
