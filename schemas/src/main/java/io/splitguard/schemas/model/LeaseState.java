package io.splitguard.schemas.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Instant;
import java.util.Objects;

/**
 * One resource's lease as the owning task keeps it (value of the {@code lease-state} store, key =
 * resource id). Two shapes:
 * <ul>
 *   <li><b>held</b>: {@code holderRegion}, {@code lockToken}, {@code correlationId}, {@code grantedAt},
 *       {@code lastHeartbeatAt} and {@code expiresAt} are set;
 *   <li><b>cooling</b>: the lease ended by expiry or override and no one holds it; {@code
 *       blockedUntil} is the end of the lock-delay, before which nothing is granted. After an override,
 *       {@code previous} names the holder it took the lease from and {@code expiresAt} is when that
 *       holder's lease would have expired; the entry is kept a while after the delay (at least until
 *       then) so that the next grant reports the override.
 * </ul>
 * A free resource has no entry. {@code fencingToken} is the token of the latest grant in both shapes:
 * downstream fencing compares against it.
 *
 * <p>Instants are on the deciding instance's wall clock.
 */
public record LeaseState(
        String resourceId,
        long fencingToken,
        String holderRegion,
        String lockToken,
        String correlationId,
        String operationType,
        Long ttlMs,
        Instant grantedAt,
        Instant lastHeartbeatAt,
        Instant expiresAt,
        Instant blockedUntil,
        LeaseDecision.PreviousHolder previous) {

    public LeaseState {
        Objects.requireNonNull(resourceId, "resource_id");
        boolean held = holderRegion != null;
        if (held) {
            Objects.requireNonNull(lockToken, "lock_token");
            Objects.requireNonNull(correlationId, "correlation_id");
            Objects.requireNonNull(ttlMs, "ttl_ms");
            Objects.requireNonNull(grantedAt, "granted_at");
            Objects.requireNonNull(lastHeartbeatAt, "last_heartbeat_at");
            Objects.requireNonNull(expiresAt, "expires_at");
        } else {
            Objects.requireNonNull(blockedUntil, "blocked_until");
        }
    }

    /** A lease granted to {@code region} at {@code now} for {@code ttlMs}. */
    public static LeaseState granted(
            String resourceId,
            long fencingToken,
            String region,
            String lockToken,
            String correlationId,
            String operationType,
            long ttlMs,
            Instant now) {
        return new LeaseState(
                resourceId,
                fencingToken,
                region,
                lockToken,
                correlationId,
                operationType,
                ttlMs,
                now,
                now,
                now.plusMillis(ttlMs),
                null,
                null);
    }

    /** The resource after its lease expired, blocked until {@code until}. */
    public static LeaseState cooling(String resourceId, long fencingToken, Instant until) {
        return new LeaseState(resourceId, fencingToken, null, null, null, null, null, null, null, null, until, null);
    }

    /** The resource after an override took {@code lease} from its stale holder, blocked until {@code until}. */
    public static LeaseState overridden(LeaseState lease, Instant until) {
        return new LeaseState(
                lease.resourceId,
                lease.fencingToken,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                lease.expiresAt,
                until,
                lease.asPrevious());
    }

    /** Whether a holder has the lease (it may have expired without the purge having run yet). */
    @JsonIgnore
    public boolean isHeld() {
        return holderRegion != null;
    }

    /** This lease heartbeated at {@code now}: the last heartbeat is now and it expires a TTL later. */
    public LeaseState heartbeatAt(Instant now) {
        return new LeaseState(
                resourceId,
                fencingToken,
                holderRegion,
                lockToken,
                correlationId,
                operationType,
                ttlMs,
                grantedAt,
                now,
                now.plusMillis(ttlMs),
                null,
                null);
    }

    /** This lease as the holder an override takes it from. */
    public LeaseDecision.PreviousHolder asPrevious() {
        return new LeaseDecision.PreviousHolder(holderRegion, lockToken, fencingToken);
    }
}
