package io.splitguard.schemas.model;

import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * A resource's lease as its owner sees it when it decides a {@link LeaseCommand.Type#DESCRIBE}: what an
 * operator reads from {@code GET /api/v1/state/locks/{resource_id}}. Never carries a lock token: the
 * token is the holder's credential for heartbeats and releases.
 *
 * @param state {@code held}, {@code cooling} (a lock-delay runs after an expiry or an override: nothing
 *     is granted before {@code blockedUntil}) or {@code free}
 * @param holderRegion the holder's region (held)
 * @param fencingToken the latest grant's fencing token when the owner still keeps it (held, cooling,
 *     and free shortly after an override); null when nothing is known of an earlier grant
 * @param operationType what the holder said it means to do (held, optional)
 * @param correlationId the holder's acquisition id (held)
 * @param grantedAt when the lease was granted (held)
 * @param lastHeartbeatAt the holder's last heartbeat, or the grant (held)
 * @param expiresAt when the lease expires unless heartbeated (held)
 * @param staleAt from when another region's acquire may override the holder (held)
 * @param blockedUntil the end of the lock-delay (cooling)
 * @param overriddenHolderRegion the holder an override took the lease from (cooling or free after an override)
 */
public record LeaseView(
        State state,
        String holderRegion,
        Long fencingToken,
        String operationType,
        String correlationId,
        Instant grantedAt,
        Instant lastHeartbeatAt,
        Instant expiresAt,
        Instant staleAt,
        Instant blockedUntil,
        String overriddenHolderRegion) {

    public enum State {
        HELD,
        COOLING,
        FREE;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public LeaseView {
        Objects.requireNonNull(state, "state");
        if (state == State.HELD) {
            Objects.requireNonNull(holderRegion, "holder_region");
            Objects.requireNonNull(expiresAt, "expires_at");
        }
        if (state == State.COOLING) {
            Objects.requireNonNull(blockedUntil, "blocked_until");
        }
    }

    /** No lease and nothing known of an earlier one. */
    public static LeaseView free() {
        return new LeaseView(State.FREE, null, null, null, null, null, null, null, null, null, null);
    }
}
