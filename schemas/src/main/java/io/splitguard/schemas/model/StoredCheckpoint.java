package io.splitguard.schemas.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * A session's latest checkpoint as the checkpoint topology keeps it: the value of the {@code
 * latest-checkpoints} store and of the compacted checkpoints topic (key = session id; a tombstone means
 * the session has none). This is the read path's contract.
 *
 * <p>{@code storedAt} and {@code expiresAt} are on the clock of the topology instance that accepted the
 * checkpoint, never the sender's. From {@code expiresAt} on the checkpoint counts as absent, whether or
 * not the purge has deleted it yet: a reader must check {@link #isExpiredAt}.
 *
 * @param ttlSeconds the TTL applied: the request's, capped by the topology's maximum
 * @param sourcePartition partition of checkpoints-in the accepted record came from
 * @param sourceOffset its offset there
 */
public record StoredCheckpoint(
        String sessionId,
        String region,
        String checkpointId,
        long sequence,
        int schemaVersion,
        String flowVersion,
        JsonNode variables,
        int ttlSeconds,
        String requestId,
        Instant receivedAt,
        Instant storedAt,
        Instant expiresAt,
        int sourcePartition,
        long sourceOffset) {

    public StoredCheckpoint {
        Objects.requireNonNull(sessionId, "session_id");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(checkpointId, "checkpoint_id");
        Objects.requireNonNull(variables, "variables");
        Objects.requireNonNull(requestId, "request_id");
        Objects.requireNonNull(receivedAt, "received_at");
        Objects.requireNonNull(storedAt, "stored_at");
        Objects.requireNonNull(expiresAt, "expires_at");
        if (!expiresAt.isAfter(storedAt)) {
            throw new IllegalArgumentException("expires_at must be after stored_at");
        }
    }

    /**
     * {@code request} accepted at {@code storedAt} with a TTL of {@code ttlSeconds} (already capped),
     * from {@code sourcePartition}@{@code sourceOffset} of checkpoints-in.
     */
    public static StoredCheckpoint accepted(
            CheckpointRequest request, int ttlSeconds, Instant storedAt, int sourcePartition, long sourceOffset) {
        return new StoredCheckpoint(
                request.sessionId(),
                request.region(),
                request.checkpointId(),
                request.sequence(),
                request.schemaVersion(),
                request.flowVersion(),
                request.variables(),
                ttlSeconds,
                request.requestId(),
                request.receivedAt(),
                storedAt,
                storedAt.plusSeconds(ttlSeconds),
                sourcePartition,
                sourceOffset);
    }

    /** True from {@code expiresAt} on: the checkpoint must then be treated as absent. */
    public boolean isExpiredAt(Instant now) {
        return !now.isBefore(expiresAt);
    }
}
