package io.splitguard.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BreakersTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-05-15T14:35:00Z"));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final CircuitBreaker breaker =
            Breakers.create("database", Breakers.config(Duration.ofSeconds(10), clock), registry);
    private final AtomicInteger calls = new AtomicInteger();

    private void fail() {
        try {
            breaker.executeCallable(() -> {
                calls.incrementAndGet();
                throw new IOException("connection refused");
            });
        } catch (CallNotPermittedException e) {
            throw e;
        } catch (Exception expected) {
            // the dependency's failure, recorded by the breaker
        }
    }

    private void succeed() throws Exception {
        breaker.executeCallable(calls::incrementAndGet);
    }

    private double state(String state) {
        return registry.get("splitguard.breaker.state")
                .tag("name", "database")
                .tag("state", state)
                .gauge()
                .value();
    }

    @Test
    void shouldOpenOnlyWhenThreeConsecutiveCallsFail() throws Exception {
        fail();
        fail();
        succeed();
        fail();
        fail();
        assertThat(breaker.getState()).as("a success in between resets the run").isEqualTo(CircuitBreaker.State.CLOSED);

        fail();

        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(state("open")).isEqualTo(1.0);
        assertThat(state("closed")).isEqualTo(0.0);
        int before = calls.get();
        assertThatThrownBy(this::succeed).isInstanceOf(CallNotPermittedException.class);
        assertThat(calls.get())
                .as("an open breaker does not call the dependency")
                .isEqualTo(before);
    }

    @Test
    void shouldHalfOpenAfterTheWaitAndCloseWhenTheTrialCallSucceeds() throws Exception {
        fail();
        fail();
        fail();
        clock.advance(Duration.ofSeconds(9));
        assertThatThrownBy(this::succeed).isInstanceOf(CallNotPermittedException.class);

        clock.advance(Duration.ofSeconds(2));
        succeed();

        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(state("closed")).isEqualTo(1.0);
        assertThat(registry.get("splitguard.breaker.calls")
                        .tag("outcome", "not_permitted")
                        .counter()
                        .count())
                .isEqualTo(1.0);
    }

    @Test
    void shouldOpenAgainWhenTheHalfOpenTrialCallFails() {
        fail();
        fail();
        fail();
        clock.advance(Duration.ofSeconds(11));
        assertThat(breaker.tryAcquirePermission()).isTrue();
        breaker.releasePermission();
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        assertThat(state("half_open")).isEqualTo(1.0);

        fail();

        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    }
}
