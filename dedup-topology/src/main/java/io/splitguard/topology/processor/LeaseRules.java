package io.splitguard.topology.processor;

import io.splitguard.schemas.model.LeaseCommand;
import java.time.Duration;
import java.util.Objects;

/**
 * How the lease processor decides, all on the deciding instance's wall clock.
 *
 * @param staleThreshold a holder whose last heartbeat (or grant) is at least this old may be overridden
 *     by another region's acquire
 * @param lockDelay after a lease ends by expiry or override, nothing is granted for this long (a clean
 *     release frees at once); zero turns it off
 * @param maxTtl the longest lease granted; a longer {@code lock_ttl_ms} is cut to it
 * @param purgeInterval how often (wall clock) expired leases and finished lock-delays are swept from the store
 * @param fenceRetention how long a resource's latest fencing token is remembered once its lease ended
 *     (released, or its lock-delay over): a write with an older token is fenced all that time, even
 *     though nobody holds the lease; then the entry is deleted. Zero forgets it when the lease ends.
 */
public record LeaseRules(
        Duration staleThreshold, Duration lockDelay, Duration maxTtl, Duration purgeInterval, Duration fenceRetention) {

    public static final Duration DEFAULT_STALE_THRESHOLD = Duration.ofSeconds(15);
    public static final Duration DEFAULT_LOCK_DELAY = Duration.ofSeconds(5);
    public static final Duration DEFAULT_MAX_TTL = Duration.ofMillis(LeaseCommand.MAX_TTL_MS);
    public static final Duration DEFAULT_PURGE_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_FENCE_RETENTION = Duration.ofHours(24);

    public static final LeaseRules DEFAULTS = new LeaseRules(
            DEFAULT_STALE_THRESHOLD,
            DEFAULT_LOCK_DELAY,
            DEFAULT_MAX_TTL,
            DEFAULT_PURGE_INTERVAL,
            DEFAULT_FENCE_RETENTION);

    public LeaseRules {
        Objects.requireNonNull(staleThreshold, "staleThreshold");
        Objects.requireNonNull(lockDelay, "lockDelay");
        Objects.requireNonNull(maxTtl, "maxTtl");
        Objects.requireNonNull(purgeInterval, "purgeInterval");
        Objects.requireNonNull(fenceRetention, "fenceRetention");
        if (fenceRetention.isNegative()) {
            throw new IllegalArgumentException("the lease fence retention must not be negative");
        }
        if (staleThreshold.isNegative() || staleThreshold.isZero()) {
            throw new IllegalArgumentException("the lease stale threshold must be positive");
        }
        if (lockDelay.isNegative()) {
            throw new IllegalArgumentException("the lease lock-delay must not be negative");
        }
        if (maxTtl.toMillis() < LeaseCommand.MIN_TTL_MS || maxTtl.toMillis() > LeaseCommand.MAX_TTL_MS) {
            throw new IllegalArgumentException("the lease max TTL must be within " + LeaseCommand.MIN_TTL_MS + ".."
                    + LeaseCommand.MAX_TTL_MS + " ms, was " + maxTtl.toMillis());
        }
        if (purgeInterval.isNegative() || purgeInterval.isZero()) {
            throw new IllegalArgumentException("the lease purge interval must be positive");
        }
    }
}
