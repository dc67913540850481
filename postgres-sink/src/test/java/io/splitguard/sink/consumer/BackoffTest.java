package io.splitguard.sink.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void shouldDoubleTheCeilingUpToTheMaximumAndResetItAfterASuccess() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), () -> 0.999999);
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(100));
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(200));
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(400));
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(800));
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(1000));
        assertThat(backoff.next()).isEqualTo(Duration.ofMillis(1000));
        backoff.reset();
        assertThat(backoff.ceiling()).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void shouldSpreadWaitsOverTheUpperHalfOfTheCeiling() {
        Backoff low = new Backoff(Duration.ofMillis(400), Duration.ofMillis(400), () -> 0.0);
        Backoff high = new Backoff(Duration.ofMillis(400), Duration.ofMillis(400), () -> 0.999999);
        assertThat(low.next()).isEqualTo(Duration.ofMillis(200));
        assertThat(high.next()).isEqualTo(Duration.ofMillis(400));
        Backoff random = new Backoff(Duration.ofMillis(400), Duration.ofMillis(400));
        for (int i = 0; i < 1000; i++) {
            assertThat(random.next()).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
        }
    }

    @Test
    void shouldRefuseAMaximumWhenItIsBelowTheMinimum() {
        assertThatThrownBy(() -> new Backoff(Duration.ofMillis(100), Duration.ofMillis(50)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
