package io.splitguard.health;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.function.Supplier;

/**
 * {@code application}: the process itself. Uptime (on the service's clock), the service's own state
 * (its liveness {@link Health}, whose details are shown under {@code state}), the JVM's threads
 * (deadlocked ones make it unhealthy) and any thread pools the service hands in (size, active,
 * queued).
 */
public final class ApplicationCheck implements ComponentCheck {

    private final Clock clock;
    private final Instant started;
    private final Supplier<Health> state;
    private final Map<String, ThreadPoolExecutor> pools = new LinkedHashMap<>();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

    /**
     * @param clock the service's clock
     * @param state the service's liveness (e.g. whether its processing loop runs)
     */
    public ApplicationCheck(Clock clock, Supplier<Health> state) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.state = Objects.requireNonNull(state, "state");
        this.started = clock.instant();
    }

    /** Reports {@code pool} under {@code thread_pools.<name>}. */
    public ApplicationCheck threadPool(String name, ThreadPoolExecutor pool) {
        pools.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(pool, "pool"));
        return this;
    }

    @Override
    public ComponentHealth check() {
        Health health = state.get();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put(
                "uptime_seconds",
                Math.max(0, Duration.between(started, clock.instant()).toSeconds()));
        details.put("service", health.status());
        details.putAll(health.details());
        long[] deadlocked = threads.findDeadlockedThreads();
        Map<String, Object> jvm = new LinkedHashMap<>();
        jvm.put("live", threads.getThreadCount());
        jvm.put("daemon", threads.getDaemonThreadCount());
        jvm.put("deadlocked", deadlocked == null ? 0 : deadlocked.length);
        details.put("threads", jvm);
        if (!pools.isEmpty()) {
            Map<String, Object> all = new LinkedHashMap<>();
            pools.forEach((name, pool) -> {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("size", pool.getPoolSize());
                one.put("active", pool.getActiveCount());
                one.put("queued", pool.getQueue().size());
                one.put("shutdown", pool.isShutdown());
                all.put(name, one);
            });
            details.put("thread_pools", all);
        }
        if (!health.up()) {
            details.put("error", "the service reports it cannot make progress");
            return ComponentHealth.unhealthy(details);
        }
        if (deadlocked != null) {
            details.put("error", deadlocked.length + " deadlocked thread(s)");
            return ComponentHealth.unhealthy(details);
        }
        return ComponentHealth.healthy(details);
    }
}
