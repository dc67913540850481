package io.splitguard.schemas.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * A mutation the dedup topology applied: the first delivery of its scoped key, stamped with the
 * next per-session sequence number. This is what CRM sink consumers read, keyed by session id.
 *
 * <p>A session's mutations are ordered by {@code (sessionEpoch, sequence)}. Sequences run 1, 2, 3
 * ... without gaps within an epoch. The epoch is the time (milliseconds, the deciding topology
 * instance's clock) at which the session's sequence was started; it changes only when a session
 * that stayed idle past the purge horizon was forgotten and is written again, and it is then
 * always greater than the one before. Records written before epochs existed carry epoch 0.
 */
public record SequencedMutation(
        String requestId,
        String tenant,
        String route,
        String sessionId,
        String idempotencyKey,
        String scopedKey,
        String payloadHash,
        Long sessionEpoch,
        long sequence,
        Long fencingToken,
        Instant receivedAt,
        Instant appliedAt,
        JsonNode body) {

    /** {@code sessionEpoch} null (a record from before epochs existed) means epoch 0. */
    public SequencedMutation {
        sessionEpoch = sessionEpoch == null ? 0L : sessionEpoch;
        Objects.requireNonNull(requestId, "request_id");
        Objects.requireNonNull(sessionId, "session_id");
        Objects.requireNonNull(idempotencyKey, "idempotency_key");
        Objects.requireNonNull(scopedKey, "scoped_key");
        Objects.requireNonNull(payloadHash, "payload_hash");
        Objects.requireNonNull(receivedAt, "received_at");
        Objects.requireNonNull(appliedAt, "applied_at");
        Objects.requireNonNull(body, "body");
        if (sessionEpoch < 0) {
            throw new IllegalArgumentException("session_epoch must be >= 0, was " + sessionEpoch);
        }
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence must be >= 1, was " + sequence);
        }
    }

    /** A mutation of epoch 0 (what records written before session epochs existed decode to). */
    public SequencedMutation(
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
        this(
                requestId,
                tenant,
                route,
                sessionId,
                idempotencyKey,
                scopedKey,
                payloadHash,
                0L,
                sequence,
                fencingToken,
                receivedAt,
                appliedAt,
                body);
    }

    public static SequencedMutation applied(
            MutationRequest request, long sessionEpoch, long sequence, Instant appliedAt) {
        return new SequencedMutation(
                request.requestId(),
                request.tenant(),
                request.route(),
                request.sessionId(),
                request.idempotencyKey(),
                request.scopedKey(),
                request.payloadHash(),
                sessionEpoch,
                sequence,
                request.fencingToken(),
                request.receivedAt(),
                appliedAt,
                request.body());
    }
}
