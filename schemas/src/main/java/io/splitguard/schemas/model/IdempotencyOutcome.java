package io.splitguard.schemas.model;

import java.time.Instant;
import java.util.Objects;

/**
 * The recorded outcome of a scoped idempotency key (compacted topic, key = scoped key). The first
 * seven fields never change once the key is applied; {@code last*} describe the latest delivery, so
 * a waiting gateway can match its own request id and read the verdict.
 */
public record IdempotencyOutcome(
        String scopedKey,
        String idempotencyKey,
        String tenant,
        String route,
        String sessionId,
        String payloadHash,
        String status,
        long sequence,
        Instant receivedAt,
        Instant appliedAt,
        String lastRequestId,
        Verdict lastVerdict,
        String lastPayloadHash) {

    public static final String STATUS_APPLIED = "applied";

    public IdempotencyOutcome {
        Objects.requireNonNull(scopedKey, "scoped_key");
        Objects.requireNonNull(idempotencyKey, "idempotency_key");
        Objects.requireNonNull(sessionId, "session_id");
        Objects.requireNonNull(payloadHash, "payload_hash");
        Objects.requireNonNull(lastRequestId, "last_request_id");
        Objects.requireNonNull(lastVerdict, "last_verdict");
    }

    public static IdempotencyOutcome firstApplication(SequencedMutation applied) {
        return new IdempotencyOutcome(
                applied.scopedKey(),
                applied.idempotencyKey(),
                applied.tenant(),
                applied.route(),
                applied.sessionId(),
                applied.payloadHash(),
                STATUS_APPLIED,
                applied.sequence(),
                applied.receivedAt(),
                applied.appliedAt(),
                applied.requestId(),
                Verdict.APPLIED,
                applied.payloadHash());
    }

    /** The same recorded outcome, noting a later delivery and what was decided for it. */
    public IdempotencyOutcome withLaterDelivery(String requestId, Verdict verdict, String deliveredHash) {
        return new IdempotencyOutcome(
                scopedKey,
                idempotencyKey,
                tenant,
                route,
                sessionId,
                payloadHash,
                status,
                sequence,
                receivedAt,
                appliedAt,
                requestId,
                verdict,
                deliveredHash);
    }
}
