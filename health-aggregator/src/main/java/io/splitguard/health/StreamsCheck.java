package io.splitguard.health;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * {@code streams}: the Kafka Streams application's state, threads and lag. Healthy while
 * {@code RUNNING} with at least one thread alive; {@code REBALANCING} (or starting) is degraded, any
 * other state unhealthy. Lag is reported, not judged: it shows catch-up, not an inability to work.
 */
public final class StreamsCheck implements ComponentCheck {

    private final Supplier<StreamsStatus> status;

    public StreamsCheck(Supplier<StreamsStatus> status) {
        this.status = Objects.requireNonNull(status, "status");
    }

    @Override
    public ComponentHealth check() {
        StreamsStatus s = status.get();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("state", s.state());
        details.put("threads_alive", s.threadsAlive());
        details.put("active_tasks", s.activeTasks());
        details.put("standby_tasks", s.standbyTasks());
        details.put("active_lag", s.activeLag());
        details.put("standby_lag", s.standbyLag());
        if ("RUNNING".equals(s.state()) && s.threadsAlive() > 0) {
            return ComponentHealth.healthy(details);
        }
        if ("RUNNING".equals(s.state())) {
            details.put("error", "no stream thread alive");
            return ComponentHealth.unhealthy(details);
        }
        if ("REBALANCING".equals(s.state()) || "CREATED".equals(s.state())) {
            return ComponentHealth.degraded(details);
        }
        details.put("error", "Kafka Streams is " + s.state());
        return ComponentHealth.unhealthy(details);
    }
}
