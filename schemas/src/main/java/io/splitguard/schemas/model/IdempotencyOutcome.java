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
    /** The status of a {@link Verdict#FENCED} decision: nothing was applied, the key is not remembered. */
    public static final String STATUS_FENCED = "fenced";

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
    /**
     * The decision that {@code request}, a first delivery, was fenced at {@code decidedAt}: not applied
     * (sequence 0), the key not remembered. Published so that a waiting gateway learns it and forgets the
     * answer it kept for the request, letting a retry with a current fencing token through.
     */
    public static IdempotencyOutcome fenced(MutationRequest request, Instant decidedAt) {
        return new IdempotencyOutcome(
                request.scopedKey(),
                request.idempotencyKey(),
                request.tenant(),
                request.route(),
                request.sessionId(),
                request.payloadHash(),
                STATUS_FENCED,
                0,
                request.receivedAt(),
                decidedAt,
                request.requestId(),
                Verdict.FENCED,
                request.payloadHash());
    }

    /** Whether this is the record of a fenced delivery rather than of an applied key. */
    public boolean isFenced() {
        return lastVerdict == Verdict.FENCED;
    }

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
