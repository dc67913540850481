package io.splitguard.schemas.model;

import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/** One decision of the pipeline, on the audit topic keyed by session id. */
public record AuditRecord(
        Decision decision,
        String sessionId,
        String requestId,
        String scopedKey,
        String payloadHash,
        Long sequence,
        Instant at,
        String detail,
        String rawPayloadHash) {

    /**
     * A decision without a separate raw hash ({@code payloadHash} is the hash of the body as sent).
     * For a derived key, {@code payloadHash} is the comparison hash (timestamp to the second) and
     * {@code rawPayloadHash} the hash of the body exactly as it was sent.
     */
    public AuditRecord(
            Decision decision,
            String sessionId,
            String requestId,
            String scopedKey,
            String payloadHash,
            Long sequence,
            Instant at,
            String detail) {
        this(decision, sessionId, requestId, scopedKey, payloadHash, sequence, at, detail, null);
    }

    public enum Decision {
        APPLIED,
        DUPLICATE,
        CONFLICT,
        REJECTED,
        /**
         * The Postgres sink refused to write a mutation; {@code detail} starts with the reason code of
         * {@code sink_refusals} ({@code duplicate_key}, {@code sequence_not_greater},
         * {@code stale_fencing_token}), then a colon.
         */
        REFUSED,
        /** The checkpoint topology stored a checkpoint as the session's latest ({@code sequence} is its sequence). */
        CHECKPOINT_ACCEPTED,
        /**
         * The checkpoint topology refused a checkpoint whose sequence is not greater than the stored
         * one's (a lagging region, a retry); {@code sequence} is the refused one, {@code detail} names the stored one.
         */
        CHECKPOINT_REJECTED_STALE,
        /** A session's latest checkpoint reached its expiry and was deleted (or replaced as absent). */
        CHECKPOINT_EXPIRED,
        /**
         * A lease was granted ({@code sessionId} is the resource id, {@code sequence} the fencing token,
         * {@code requestId} the acquire's; {@code detail} names the holder region and the expiry).
         */
        LEASE_GRANTED,
        /**
         * A stale holder's lease was taken away by another region's acquire ({@code sequence} is the
         * overridden lease's fencing token; {@code detail} names both regions and the last heartbeat).
         */
        LEASE_OVERRIDDEN,
        /** A holder released its lease ({@code sequence} is the lease's fencing token). */
        LEASE_RELEASED,
        /** A lease reached its expiry without a heartbeat and was freed ({@code sequence} is its fencing token). */
        LEASE_EXPIRED,
        /**
         * A lease command was refused: {@code detail} starts with the outcome ({@code conflict}, {@code lost},
         * {@code not_holder}), then a colon.
         */
        LEASE_REFUSED,
        /**
         * The dedup topology refused a first delivery whose fencing token is older than the session lease's
         * ({@code sequence} is the refused token; {@code detail} names the lease's). Nothing was applied and
         * the key was not remembered.
         */
        FENCED;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Decision of(Verdict verdict) {
            return switch (verdict) {
                case APPLIED -> APPLIED;
                case DUPLICATE -> DUPLICATE;
                case CONFLICT -> CONFLICT;
                case FENCED -> FENCED;
            };
        }
    }

    public AuditRecord {
        Objects.requireNonNull(decision, "decision");
        Objects.requireNonNull(sessionId, "session_id");
        Objects.requireNonNull(at, "at");
    }
}
