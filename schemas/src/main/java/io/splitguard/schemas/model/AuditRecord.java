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
        String detail) {

    public enum Decision {
        APPLIED,
        DUPLICATE,
        CONFLICT,
        REJECTED;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Decision of(Verdict verdict) {
            return switch (verdict) {
                case APPLIED -> APPLIED;
                case DUPLICATE -> DUPLICATE;
                case CONFLICT -> CONFLICT;
            };
        }
    }

    public AuditRecord {
        Objects.requireNonNull(decision, "decision");
        Objects.requireNonNull(sessionId, "session_id");
        Objects.requireNonNull(at, "at");
    }
}
