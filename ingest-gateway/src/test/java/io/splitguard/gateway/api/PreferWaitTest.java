package io.splitguard.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreferWaitTest {

    private static final Duration MAX = Duration.ofSeconds(30);

    @Test
    void shouldReadWaitWhenItIsAmongOtherPreferences() {
        assertThat(PreferWait.parse(List.of("wait=5"), MAX)).contains(Duration.ofSeconds(5));
        assertThat(PreferWait.parse(List.of("respond-async, wait=7"), MAX)).contains(Duration.ofSeconds(7));
        assertThat(PreferWait.parse(List.of("handling=lenient", "WAIT = 3"), MAX))
                .contains(Duration.ofSeconds(3));
        assertThat(PreferWait.parse(List.of("wait=\"4\""), MAX)).contains(Duration.ofSeconds(4));
    }

    @Test
    void shouldCapTheWaitAtTheConfiguredMaximum() {
        assertThat(PreferWait.parse(List.of("wait=3600"), MAX)).contains(MAX);
    }

    @Test
    void shouldIgnoreTheWaitWhenItIsAbsentZeroOrMalformed() {
        assertThat(PreferWait.parse(List.of(), MAX)).isEmpty();
        assertThat(PreferWait.parse(List.of("wait=0"), MAX)).isEmpty();
        assertThat(PreferWait.parse(List.of("wait=soon"), MAX)).isEmpty();
        assertThat(PreferWait.parse(List.of("waiting=5"), MAX)).isEmpty();
        assertThat(PreferWait.parse(Arrays.asList((String) null), MAX)).isEmpty();
    }
}
