package io.splitguard.schemas.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * A mutation the dedup topology applied: the first delivery of its scoped key, stamped with the
 * next per-session sequence number. This is what CRM sink consumers read, keyed by session id.
 */
public record SequencedMutation(
        String requestId,
        String tenant,
        String route,
        String sessionId,
        String idempotencyKey,
        String scopedKey,
        String payloadHash,
        long sequence,
        Long fencingToken,
        Instant receivedAt,
        Instant appliedAt,
        JsonNode body) {

    public SequencedMutation {
        Objects.requireNonNull(requestId, "request_id");
        Objects.requireNonNull(sessionId, "session_id");
        Objects.requireNonNull(idempotencyKey, "idempotency_key");
        Objects.requireNonNull(scopedKey, "scoped_key");
        Objects.requireNonNull(payloadHash, "payload_hash");
        Objects.requireNonNull(receivedAt, "received_at");
        Objects.requireNonNull(appliedAt, "applied_at");
        Objects.requireNonNull(body, "body");
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence must be >= 1, was " + sequence);
        }
    }

    public static SequencedMutation applied(MutationRequest request, long sequence, Instant appliedAt) {
        return new SequencedMutation(
                request.requestId(),
                request.tenant(),
                request.route(),
                request.sessionId(),
                request.idempotencyKey(),
                request.scopedKey(),
                request.payloadHash(),
                sequence,
                request.fencingToken(),
                request.receivedAt(),
                appliedAt,
                request.body());
    }
}
