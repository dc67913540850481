package io.splitguard.schemas.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * The owner's answer to one {@link LeaseCommand} (value of the lease-decisions topic, key = resource
 * id). The gateway matches it to the waiting HTTP request by {@code requestId}.
 *
 * <p>Which fields are set depends on the outcome:
 * <ul>
 *   <li>{@code granted}: {@code lockToken}, {@code fencingToken}, {@code holderRegion} (the caller's),
 *       {@code expiresAt}; {@code overrode} when the grant follows an override of a stale holder;
 *   <li>{@code extended}: the same fields, {@code expiresAt} moved;
 *   <li>{@code conflict}: {@code holderRegion} and {@code expiresAt} of the current holder (or, while a
 *       lock-delay runs, of the previous one and the delay's end) and {@code retryAfterMs}; never a token;
 *   <li>{@code released}: {@code fencingToken} and {@code holderRegion} of the lease that ended;
 *   <li>{@code lost}, {@code not_holder}: the current holder's region and expiry when there is one;
 *   <li>{@code described} (a describe): {@code lease}, the resource's lease as the owner sees it.
 * </ul>
 * All instants are on the deciding instance's wall clock.
 *
 * @param requestId the command's request id (the reply key); null for nothing
 * @param correlationId the acquire's correlation id, echoed
 * @param resourceId the resource, also the record key
 * @param type the command's type
 * @param outcome what the owner decided
 * @param lockToken the caller's lock token (granted, extended)
 * @param fencingToken the lease's fencing token: strictly increasing per resource
 * @param holderRegion the region holding the lease (see above)
 * @param expiresAt when the lease expires unless heartbeated
 * @param retryAfterMs how long a refused acquire should wait (conflict)
 * @param overrode the stale holder this grant took over from (granted after an override only)
 * @param decidedAt when the owner decided
 * @param lease the resource's lease (described only)
 */
public record LeaseDecision(
        String requestId,
        String correlationId,
        String resourceId,
        LeaseCommand.Type type,
        Outcome outcome,
        String lockToken,
        Long fencingToken,
        String holderRegion,
        Instant expiresAt,
        Long retryAfterMs,
        PreviousHolder overrode,
        Instant decidedAt,
        LeaseView lease) {

    public enum Outcome {
        /** Acquire: the caller holds the lease. */
        GRANTED,
        /** Acquire: another holder's lease is live, or a lock-delay runs. */
        CONFLICT,
        /** Heartbeat with the current token: the lease lives longer. */
        EXTENDED,
        /** Heartbeat with a token that is not the current one: the caller's lease is gone. */
        LOST,
        /** Release with the current token: the resource is free at once. */
        RELEASED,
        /** Release with a token that is not the current one: nothing changed. */
        NOT_HOLDER,
        /** Describe: the lease as the owner sees it ({@code lease}). */
        DESCRIBED;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Whether the HTTP answer is 200 (otherwise 409). */
        public boolean succeeded() {
            return this == GRANTED || this == EXTENDED || this == RELEASED || this == DESCRIBED;
        }
    }

    /**
     * The holder a grant overrode.
     *
     * @param holderRegion its region
     * @param lockToken its lock token, no longer valid
     * @param fencingToken its fencing token, now superseded
     */
    public record PreviousHolder(String holderRegion, String lockToken, long fencingToken) {
        public PreviousHolder {
            Objects.requireNonNull(holderRegion, "holder_region");
            Objects.requireNonNull(lockToken, "lock_token");
        }
    }

    /** A decision of any outcome but {@code described}, which alone carries a {@link LeaseView}. */
    public LeaseDecision(
            String requestId,
            String correlationId,
            String resourceId,
            LeaseCommand.Type type,
            Outcome outcome,
            String lockToken,
            Long fencingToken,
            String holderRegion,
            Instant expiresAt,
            Long retryAfterMs,
            PreviousHolder overrode,
            Instant decidedAt) {
        this(
                requestId,
                correlationId,
                resourceId,
                type,
                outcome,
                lockToken,
                fencingToken,
                holderRegion,
                expiresAt,
                retryAfterMs,
                overrode,
                decidedAt,
                null);
    }

    @JsonCreator
    public LeaseDecision {
        Objects.requireNonNull(resourceId, "resource_id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(decidedAt, "decided_at");
        if (retryAfterMs != null && retryAfterMs < 0) {
            throw new IllegalArgumentException("retry_after_ms must not be negative: " + retryAfterMs);
        }
        if ((outcome == Outcome.DESCRIBED) != (lease != null)) {
            throw new IllegalArgumentException("a lease view comes with a described outcome, and only with it");
        }
    }

    /** Whether the HTTP answer is 200 (otherwise 409). */
    @JsonIgnore
    public boolean succeeded() {
        return outcome.succeeded();
    }
}
