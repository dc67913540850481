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
 */
public record LeaseRules(Duration staleThreshold, Duration lockDelay, Duration maxTtl, Duration purgeInterval) {

    public static final Duration DEFAULT_STALE_THRESHOLD = Duration.ofSeconds(15);
    public static final Duration DEFAULT_LOCK_DELAY = Duration.ofSeconds(5);
    public static final Duration DEFAULT_MAX_TTL = Duration.ofMillis(LeaseCommand.MAX_TTL_MS);
    public static final Duration DEFAULT_PURGE_INTERVAL = Duration.ofSeconds(1);

    public static final LeaseRules DEFAULTS =
            new LeaseRules(DEFAULT_STALE_THRESHOLD, DEFAULT_LOCK_DELAY, DEFAULT_MAX_TTL, DEFAULT_PURGE_INTERVAL);

    public LeaseRules {
        Objects.requireNonNull(staleThreshold, "staleThreshold");
        Objects.requireNonNull(lockDelay, "lockDelay");
        Objects.requireNonNull(maxTtl, "maxTtl");
        Objects.requireNonNull(purgeInterval, "purgeInterval");
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
