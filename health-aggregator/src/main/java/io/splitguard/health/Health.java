package io.splitguard.health;

import java.util.Map;
import java.util.Objects;

/**
 * The result of one health check.
 *
 * @param up whether the checked part can do its job
 * @param details what the check saw (shown in the health document; never secrets)
 */
public record Health(boolean up, Map<String, Object> details) {

    public Health {
        details = Map.copyOf(Objects.requireNonNull(details, "details"));
    }

    public static Health up(Map<String, Object> details) {
        return new Health(true, details);
    }

    public static Health down(Map<String, Object> details) {
        return new Health(false, details);
    }

    public String status() {
        return up ? "UP" : "DOWN";
    }
}
