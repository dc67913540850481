package io.splitguard.gateway.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/**
 * {@code splitguard.gateway.rate-limit.*}: per-client, per-route request budgets on {@code /api/**}.
 * Environment: {@code SPLITGUARD_GATEWAY_RATE_LIMIT_<SETTING>}.
 *
 * <p>Each (client, route) pair has its own budget of {@link #getLimitForPeriod()} requests, refilled
 * every {@link #getRefreshPeriod()}; a request beyond it is answered 429 at once, before anything is
 * validated, claimed or produced. So one noisy client (or a platform's retry storm) spends only its own
 * budget, never another client's.
 */
@ConfigurationProperties("splitguard.gateway.rate-limit")
public class RateLimitSettings {

    private boolean enabled = true;
    private int limitForPeriod = 500;
    private Duration refreshPeriod = Duration.ofSeconds(1);
    private String clientHeader = "";
    private int maxClients = 100_000;

    /** Whether budgets are enforced at all. */
    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** Requests one client may make to one route per refresh period. */
    public int getLimitForPeriod() {
        return limitForPeriod;
    }

    public void setLimitForPeriod(int limitForPeriod) {
        if (limitForPeriod < 1) {
            throw new IllegalArgumentException("limit-for-period must be at least 1");
        }
        this.limitForPeriod = limitForPeriod;
    }

    /** How often a budget is refilled. */
    public Duration getRefreshPeriod() {
        return refreshPeriod;
    }

    public void setRefreshPeriod(Duration refreshPeriod) {
        if (refreshPeriod.isNegative() || refreshPeriod.isZero()) {
            throw new IllegalArgumentException("refresh-period must be positive");
        }
        this.refreshPeriod = refreshPeriod;
    }

    /**
     * A header naming the client of a request without a bearer token (signed platform webhooks, or a
     * proxy that authenticates); empty: such requests are counted per platform route and remote address.
     * A bearer token's tenant (else its subject) always names the client when there is one.
     */
    public String getClientHeader() {
        return clientHeader;
    }

    public void setClientHeader(String clientHeader) {
        this.clientHeader = clientHeader;
    }

    /** The most (client, route) budgets kept; the least recently used are forgotten beyond it. */
    public int getMaxClients() {
        return maxClients;
    }

    public void setMaxClients(int maxClients) {
        this.maxClients = maxClients;
    }
}
