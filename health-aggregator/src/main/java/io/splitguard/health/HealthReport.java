package io.splitguard.health;

import java.time.Instant;
import java.util.Map;

/**
 * One evaluation of the composite health: what {@code GET /health} serves until the next one.
 *
 * @param healthy whether the instance should take traffic (every component healthy, after hysteresis)
 * @param timestamp when it was evaluated, on the service's own clock
 * @param components each component's last result, with its {@code checked_at} and {@code duration_ms}
 * @param json the document, serialized once per evaluation
 */
public record HealthReport(boolean healthy, Instant timestamp, Map<String, ComponentHealth> components, byte[] json) {

    public HealthReport {
        components = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(components));
    }

    /** 200 when healthy, 503 otherwise. */
    public int httpStatus() {
        return healthy ? 200 : 503;
    }

    public String status() {
        return healthy ? "healthy" : "unhealthy";
    }
}
