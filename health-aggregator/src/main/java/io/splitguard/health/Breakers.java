package io.splitguard.health;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The circuit breakers around every external dependency a health check (or a service) calls, all
 * with one policy: open after exactly 3 consecutive failed calls (a count-based window of 3 calls,
 * all of which must fail), stay open for a configurable wait, then let one trial call through
 * (half-open), which closes the breaker when it succeeds and opens it again when it fails. While open,
 * calls fail at once without touching the dependency.
 */
public final class Breakers {

    /** Consecutive failures that open a breaker. */
    public static final int CONSECUTIVE_FAILURES = 3;

    private static final Logger LOG = LoggerFactory.getLogger(Breakers.class);

    private Breakers() {}

    /** The policy, with {@code openWait} between opening and the half-open trial call. */
    public static CircuitBreakerConfig config(Duration openWait) {
        return config(openWait, java.time.Clock.systemUTC());
    }

    /** The policy, with the open wait measured on {@code clock} (tests). */
    public static CircuitBreakerConfig config(Duration openWait, java.time.Clock clock) {
        return CircuitBreakerConfig.custom()
                .clock(clock)
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(CONSECUTIVE_FAILURES)
                .minimumNumberOfCalls(CONSECUTIVE_FAILURES)
                .failureRateThreshold(100)
                // slow calls never open it: the health timeout already judges them
                .slowCallRateThreshold(100)
                .slowCallDurationThreshold(Duration.ofDays(1))
                .waitDurationInOpenState(openWait)
                .permittedNumberOfCallsInHalfOpenState(1)
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .recordExceptions(Throwable.class)
                .build();
    }

    /**
     * A breaker named {@code name} with the policy; its state is logged on every transition and, when
     * {@code registry} is not null, published as {@code splitguard.breaker.state{name,state}} (1 for
     * the current state, 0 for the others) and {@code splitguard.breaker.calls{name,outcome}}.
     */
    public static CircuitBreaker create(String name, Duration openWait, MeterRegistry registry) {
        return create(name, config(openWait), registry);
    }

    /** A breaker named {@code name} with {@code config} (see {@link #config}), logged and measured. */
    public static CircuitBreaker create(String name, CircuitBreakerConfig config, MeterRegistry registry) {
        CircuitBreaker breaker = CircuitBreaker.of(name, config);
        breaker.getEventPublisher()
                .onStateTransition(event -> LOG.warn("circuit breaker {}: {}", name, event.getStateTransition()));
        if (registry != null) {
            for (CircuitBreaker.State state : new CircuitBreaker.State[] {
                CircuitBreaker.State.CLOSED, CircuitBreaker.State.OPEN, CircuitBreaker.State.HALF_OPEN
            }) {
                Gauge.builder("splitguard.breaker.state", breaker, b -> b.getState() == state ? 1 : 0)
                        .tag("name", name)
                        .tag("state", state.name().toLowerCase(Locale.ROOT))
                        .description("1 for the circuit breaker's current state, 0 for the others")
                        .register(registry);
            }
            Counter ok = Counter.builder("splitguard.breaker.calls")
                    .tag("name", name)
                    .tag("outcome", "success")
                    .register(registry);
            Counter failed = Counter.builder("splitguard.breaker.calls")
                    .tag("name", name)
                    .tag("outcome", "failure")
                    .register(registry);
            Counter refused = Counter.builder("splitguard.breaker.calls")
                    .tag("name", name)
                    .tag("outcome", "not_permitted")
                    .register(registry);
            breaker.getEventPublisher()
                    .onSuccess(e -> ok.increment())
                    .onError(e -> failed.increment())
                    .onCallNotPermitted(e -> refused.increment());
        }
        return breaker;
    }

    /** The breaker's state for a health document: {@code state}, failed calls in its window. */
    public static Map<String, Object> describe(CircuitBreaker breaker) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("state", breaker.getState().name().toLowerCase(Locale.ROOT));
        details.put("failed_calls", breaker.getMetrics().getNumberOfFailedCalls());
        return details;
    }
}
