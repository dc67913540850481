package io.splitguard.schemas.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * A mutation the gateway has accepted: what it wrote to the mutations-in topic, keyed by session id,
 * before answering 2xx. {@code scopedKey} is the identity the dedup topology remembers.
 */
public record MutationRequest(
        int schemaVersion,
        String requestId,
        String tenant,
        String route,
        String sessionId,
        String idempotencyKey,
        boolean keyDerived,
        String scopedKey,
        String payloadHash,
        Instant receivedAt,
        Long fencingToken,
        JsonNode body) {

    public static final int CURRENT_SCHEMA_VERSION = 1;

    public MutationRequest {
        Objects.requireNonNull(requestId, "request_id");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(sessionId, "session_id");
        Objects.requireNonNull(idempotencyKey, "idempotency_key");
        Objects.requireNonNull(scopedKey, "scoped_key");
        Objects.requireNonNull(payloadHash, "payload_hash");
        Objects.requireNonNull(receivedAt, "received_at");
        Objects.requireNonNull(body, "body");
    }
}
