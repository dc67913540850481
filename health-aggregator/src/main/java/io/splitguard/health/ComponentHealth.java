package io.splitguard.health;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What one check of one component of the composite {@code /health} saw.
 *
 * @param status healthy, degraded or unhealthy (degraded counts as not healthy for the instance)
 * @param details what the check saw, shown next to the status (never secrets); insertion order kept
 */
public record ComponentHealth(Status status, Map<String, Object> details) {

    /** A component's status, written in lower case in the document. */
    public enum Status {
        HEALTHY,
        DEGRADED,
        UNHEALTHY;

        public String json() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public ComponentHealth {
        Objects.requireNonNull(status, "status");
        details =
                java.util.Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(details, "details")));
    }

    public static ComponentHealth healthy(Map<String, Object> details) {
        return new ComponentHealth(Status.HEALTHY, details);
    }

    public static ComponentHealth degraded(Map<String, Object> details) {
        return new ComponentHealth(Status.DEGRADED, details);
    }

    public static ComponentHealth unhealthy(Map<String, Object> details) {
        return new ComponentHealth(Status.UNHEALTHY, details);
    }

    /** Unhealthy, with {@code reason} as the {@code error} detail. */
    public static ComponentHealth unhealthy(String reason) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("error", reason);
        return unhealthy(details);
    }

    public boolean isHealthy() {
        return status == Status.HEALTHY;
    }

    /** The same result with {@code more} details added (later keys win). */
    public ComponentHealth with(Map<String, Object> more) {
        Map<String, Object> all = new LinkedHashMap<>(details);
        all.putAll(more);
        return new ComponentHealth(status, all);
    }

    /** The same details with another status. */
    public ComponentHealth withStatus(Status other) {
        return new ComponentHealth(other, details);
    }
}
