package io.splitguard.health;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composite health of one service instance: the document {@code GET /health} serves.
 *
 * <p>Each component's check runs on its own fixed-delay schedule on a small scheduler, each run on a
 * worker thread under a timeout; a run that times out or throws is an unhealthy result with the
 * reason. A run still going when its next turn comes is not started twice. Every finished run
 * re-evaluates the document once and serializes it, so serving it costs nothing and touches no
 * dependency.
 *
 * <p>The instance is healthy only when every component is. A component that has been unhealthy
 * (or degraded) counts as healthy again only after {@code reentryChecks} consecutive healthy checks;
 * until then it is reported {@code degraded} with {@code "recovering": "n/N"}, so the instance does
 * not flap back into rotation on one lucky check. A component not checked yet is unhealthy.
 *
 * <p>Timestamps come from the {@link Clock} handed in (the instance's own clock, never a caller's);
 * durations from the monotonic clock.
 */
public final class CompositeHealth implements AutoCloseable {

    public static final String APPLICATION = "application";
    public static final String KAFKA_QUORUM = "kafka_quorum";
    public static final String DATABASE_REPLICATION = "database_replication";
    public static final String STREAMS = "streams";
    public static final String PLATFORM_CONNECTIVITY = "platform_connectivity";

    private static final Logger LOG = LoggerFactory.getLogger(CompositeHealth.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final Clock clock;
    private final Duration timeout;
    private final int reentryChecks;
    private final List<Component> components;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService workers;
    private final MeterRegistry registry;
    private final List<AutoCloseable> resources;
    private volatile HealthReport report;
    private volatile boolean closed;

    private CompositeHealth(Builder builder) {
        this.clock = builder.clock;
        this.timeout = builder.timeout;
        this.reentryChecks = builder.reentryChecks;
        this.registry = builder.registry;
        this.resources = List.copyOf(builder.resources);
        this.components = new ArrayList<>();
        builder.components.forEach((name, spec) -> components.add(new Component(name, spec.check, spec.interval)));
        String prefix = "splitguard-health-" + INSTANCES.incrementAndGet();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon(prefix + "-scheduler"));
        this.workers = Executors.newCachedThreadPool(daemon(prefix + "-check"));
        this.report = evaluate();
        if (registry != null) {
            Gauge.builder("splitguard.health.status", this, h -> h.report.healthy() ? 1 : 0)
                    .description("1 while the composite health is healthy (GET /health answers 200), else 0")
                    .register(registry);
            for (Component c : components) {
                Gauge.builder("splitguard.health.component.status", c, x -> x.effective.isHealthy() ? 1 : 0)
                        .tag("component", c.name)
                        .description("1 while the component counts as healthy (after re-entry hysteresis), else 0")
                        .register(registry);
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The last evaluation; never blocks, never calls a dependency. */
    public HealthReport report() {
        return report;
    }

    public boolean isHealthy() {
        return report.healthy();
    }

    /** The components' names, in registration order. */
    public List<String> componentNames() {
        return components.stream().map(c -> c.name).toList();
    }

    /**
     * Runs every component's check once now (each on a worker, under the timeout) and waits for all
     * of them; returns the resulting evaluation. For tests and for a first evaluation at start.
     */
    public HealthReport checkNow() throws InterruptedException {
        List<java.util.concurrent.CountDownLatch> done = new ArrayList<>();
        for (Component c : components) {
            done.add(launch(c));
        }
        for (java.util.concurrent.CountDownLatch latch : done) {
            latch.await();
        }
        return report;
    }

    private void start() {
        for (Component c : components) {
            scheduler.scheduleWithFixedDelay(() -> launch(c), 0, c.interval.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Starts one run of {@code c}'s check unless one is still going; the latch opens when it is recorded. */
    private java.util.concurrent.CountDownLatch launch(Component c) {
        java.util.concurrent.CountDownLatch recorded = new java.util.concurrent.CountDownLatch(1);
        if (closed || !c.inFlight.compareAndSet(false, true)) {
            recorded.countDown();
            return recorded;
        }
        Instant startedAt = clock.instant();
        long startNanos = System.nanoTime();
        AtomicBoolean settled = new AtomicBoolean();
        Run run = new Run();
        try {
            workers.execute(() -> {
                synchronized (run) {
                    run.thread = Thread.currentThread();
                }
                try {
                    ComponentHealth result;
                    try {
                        result = Objects.requireNonNull(c.check.check(), "the check returned no result");
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        result = ComponentHealth.unhealthy("interrupted");
                    } catch (Exception | LinkageError | AssertionError e) {
                        result = ComponentHealth.unhealthy(describe(e));
                    }
                    if (settled.compareAndSet(false, true)) {
                        record(c, result, startedAt, startNanos);
                    }
                } finally {
                    synchronized (run) {
                        run.thread = null;
                        Thread.interrupted();
                    }
                    // free before telling a waiter, so that the next checkNow() runs the check again
                    c.inFlight.set(false);
                    recorded.countDown();
                }
            });
            scheduler.schedule(
                    () -> {
                        if (settled.compareAndSet(false, true)) {
                            record(
                                    c,
                                    ComponentHealth.unhealthy("check timed out after " + timeout.toMillis() + " ms"),
                                    startedAt,
                                    startNanos);
                            recorded.countDown();
                            synchronized (run) {
                                if (run.thread != null) {
                                    run.thread.interrupt();
                                }
                            }
                        }
                    },
                    timeout.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            c.inFlight.set(false);
            recorded.countDown();
        }
        return recorded;
    }

    private static final class Run {
        Thread thread;
    }

    static String describe(Throwable e) {
        Throwable cause = e;
        while ((cause instanceof java.util.concurrent.ExecutionException
                        || cause instanceof java.util.concurrent.CompletionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private synchronized void record(Component c, ComponentHealth raw, Instant startedAt, long startNanos) {
        long durationMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        ComponentHealth.Status before = c.effective.status();
        ComponentHealth effective;
        if (raw.isHealthy()) {
            c.consecutiveHealthy++;
            if (c.recovering && c.consecutiveHealthy >= reentryChecks) {
                c.recovering = false;
            }
            effective = c.recovering
                    ? raw.withStatus(ComponentHealth.Status.DEGRADED)
                            .with(Map.of("recovering", c.consecutiveHealthy + "/" + reentryChecks + " healthy checks"))
                    : raw;
        } else {
            c.consecutiveHealthy = 0;
            c.recovering = reentryChecks > 1;
            effective = raw;
        }
        Map<String, Object> timing = new LinkedHashMap<>();
        timing.put("checked_at", startedAt.toString());
        timing.put("duration_ms", durationMs);
        c.effective = effective.with(timing);
        if (before != effective.status()) {
            if (effective.isHealthy()) {
                LOG.info(
                        "health component {} {} -> {}",
                        c.name,
                        before.json(),
                        effective.status().json());
            } else {
                LOG.warn(
                        "health component {} {} -> {}: {}",
                        c.name,
                        before.json(),
                        effective.status().json(),
                        raw.details());
            }
        }
        if (registry != null) {
            Timer.builder("splitguard.health.check.duration")
                    .tag("component", c.name)
                    .description("How long each run of a health check took")
                    .register(registry)
                    .record(durationMs, TimeUnit.MILLISECONDS);
        }
        boolean wasHealthy = report.healthy();
        report = evaluate();
        if (wasHealthy != report.healthy()) {
            LOG.info("composite health {} -> {}", wasHealthy ? "healthy" : "unhealthy", report.status());
        }
    }

    private HealthReport evaluate() {
        Instant now = clock.instant();
        boolean healthy = !components.isEmpty();
        Map<String, ComponentHealth> results = new LinkedHashMap<>();
        ObjectNode body = JSON.createObjectNode();
        ObjectNode parts = JSON.createObjectNode();
        for (Component c : components) {
            healthy &= c.effective.isHealthy();
            results.put(c.name, c.effective);
            ObjectNode part = parts.putObject(c.name);
            part.put("status", c.effective.status().json());
            c.effective.details().forEach((k, v) -> part.set(k, JSON.valueToTree(v)));
        }
        body.put("status", healthy ? "healthy" : "unhealthy");
        body.put("timestamp", now.toString());
        body.set("components", parts);
        try {
            return new HealthReport(healthy, now, results, JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the health document", e);
        }
    }

    /** Stops the schedules and closes the resources handed to {@link Builder#closing(AutoCloseable)}. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        scheduler.shutdownNow();
        workers.shutdownNow();
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warn("cannot close health resource {}", resource, e);
            }
        }
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static final class Component {
        final String name;
        final ComponentCheck check;
        final Duration interval;
        final AtomicBoolean inFlight = new AtomicBoolean();
        // guarded by the CompositeHealth's monitor
        int consecutiveHealthy;
        boolean recovering;
        volatile ComponentHealth effective = ComponentHealth.unhealthy("not checked yet");

        Component(String name, ComponentCheck check, Duration interval) {
            this.name = name;
            this.check = check;
            this.interval = interval;
        }
    }

    private record Spec(ComponentCheck check, Duration interval) {}

    /** Which components, how often, how long a check may take, and how many healthy checks re-enter. */
    public static final class Builder {

        private Clock clock = Clock.systemUTC();
        private Duration interval = HealthSettings.DEFAULT_INTERVAL;
        private Duration timeout = HealthSettings.DEFAULT_TIMEOUT;
        private int reentryChecks = HealthSettings.DEFAULT_REENTRY_CHECKS;
        private MeterRegistry registry;
        private final Map<String, Spec> components = new LinkedHashMap<>();
        private final List<AutoCloseable> resources = new ArrayList<>();

        private Builder() {}

        /** Closes {@code resource} (a check's own client) when the composite health closes. */
        public Builder closing(AutoCloseable resource) {
            resources.add(Objects.requireNonNull(resource, "resource"));
            return this;
        }

        /** Interval, timeout and re-entry checks from {@code settings}. */
        public Builder settings(HealthSettings settings) {
            return interval(settings.interval()).timeout(settings.timeout()).reentryChecks(settings.reentryChecks());
        }

        /** The clock of the document's timestamps (the instance's own; tests pass a fixed one). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The default delay between the end of one run of a check and the start of the next. */
        public Builder interval(Duration interval) {
            this.interval = positive(interval, "interval");
            return this;
        }

        /** How long one run of a check may take before it counts as unhealthy. */
        public Builder timeout(Duration timeout) {
            this.timeout = positive(timeout, "timeout");
            return this;
        }

        /** Consecutive healthy checks a component needs to count as healthy again after a failure. */
        public Builder reentryChecks(int checks) {
            if (checks < 1) {
                throw new IllegalArgumentException("reentryChecks must be at least 1: " + checks);
            }
            this.reentryChecks = checks;
            return this;
        }

        /** Publishes {@code splitguard.health.*} gauges and check timers to {@code registry}. */
        public Builder meterRegistry(MeterRegistry registry) {
            this.registry = registry;
            return this;
        }

        /** Adds component {@code name}, checked on the default interval. */
        public Builder component(String name, ComponentCheck check) {
            return component(name, check, null);
        }

        /** Adds component {@code name}, checked every {@code interval} (null: the default interval). */
        public Builder component(String name, ComponentCheck check, Duration interval) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(check, "check");
            if (components.containsKey(name)) {
                throw new IllegalArgumentException("component registered twice: " + name);
            }
            components.put(name, new Spec(check, interval == null ? null : positive(interval, "interval")));
            return this;
        }

        /** Builds it without scheduling anything: checks run only on {@link CompositeHealth#checkNow()}. */
        public CompositeHealth build() {
            Map<String, Spec> resolved = new LinkedHashMap<>();
            components.forEach((name, spec) ->
                    resolved.put(name, new Spec(spec.check, spec.interval == null ? interval : spec.interval)));
            components.clear();
            components.putAll(resolved);
            return new CompositeHealth(this);
        }

        /** Builds it and starts every component's schedule (the first runs at once). */
        public CompositeHealth start() {
            CompositeHealth health = build();
            health.start();
            return health;
        }

        private static Duration positive(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive: " + d);
            }
            return d;
        }
    }
}
