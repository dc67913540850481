package io.splitguard.gateway.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import io.splitguard.gateway.config.RateLimitSettings;
import jakarta.inject.Singleton;
import java.time.Duration;

/**
 * The request budgets of (client, route) pairs, each a resilience4j {@link AtomicRateLimiter} that
 * never waits: a request either takes a permit or is refused with how long until the next refill.
 * Budgets are kept in a bounded cache, so the memory they take is bounded whatever clients appear.
 */
@Singleton
public class RateLimits {

    /** The answer for one request. */
    public record Decision(boolean allowed, int limit, int remaining, long resetSeconds) {}

    private final RateLimitSettings settings;
    private final RateLimiterConfig config;
    private final Cache<String, AtomicRateLimiter> budgets;

    public RateLimits(RateLimitSettings settings) {
        this.settings = settings;
        this.config = RateLimiterConfig.custom()
                .limitForPeriod(settings.getLimitForPeriod())
                .limitRefreshPeriod(settings.getRefreshPeriod())
                .timeoutDuration(Duration.ZERO)
                .build();
        this.budgets = Caffeine.newBuilder()
                .maximumSize(settings.getMaxClients())
                .expireAfterAccess(settings.getRefreshPeriod().multipliedBy(10).plusMinutes(1))
                .build();
    }

    public boolean enabled() {
        return settings.isEnabled();
    }

    /** Takes a permit from {@code client}'s budget on {@code route}, if there is one left. */
    public Decision acquire(String client, String route) {
        AtomicRateLimiter limiter = budgets.get(client + '\n' + route, k -> new AtomicRateLimiter(k, config));
        boolean allowed = limiter.acquirePermission();
        AtomicRateLimiter.AtomicRateLimiterMetrics metrics = limiter.getDetailedMetrics();
        // refused: how long until the permit it would get; allowed: at most one period until the refill
        long untilRefill = allowed ? settings.getRefreshPeriod().toNanos() : metrics.getNanosToWait();
        long reset = Math.max(1, (untilRefill + 999_999_999L) / 1_000_000_000L);
        return new Decision(
                allowed, settings.getLimitForPeriod(), Math.max(0, metrics.getAvailablePermissions()), reset);
    }

    /** For tests and metrics: the budgets currently kept. */
    long budgets() {
        budgets.cleanUp();
        return budgets.estimatedSize();
    }
}
