package io.splitguard.gateway.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/**
 * {@code splitguard.gateway.lease.*}: the lease API. Environment: {@code
 * SPLITGUARD_GATEWAY_LEASE_DECISION_TIMEOUT}.
 */
@ConfigurationProperties("splitguard.gateway.lease")
public class LeaseSettings {

    private Duration decisionTimeout = Duration.ofSeconds(5);

    /**
     * How long a lease request waits for the owner's decision after Kafka took the command; past it the
     * answer is 503 with Retry-After (never a 2xx without a decision). A retried acquire with the same
     * correlation_id gets the grant the first one may have received.
     */
    public Duration getDecisionTimeout() {
        return decisionTimeout;
    }

    public void setDecisionTimeout(Duration decisionTimeout) {
        this.decisionTimeout = decisionTimeout;
    }
}
