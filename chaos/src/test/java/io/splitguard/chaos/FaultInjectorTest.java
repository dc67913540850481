package io.splitguard.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class FaultInjectorTest {

    @Test
    void shouldCountTheAnswersGivenDuringAFaultByClass() {
        Map<Integer, Long> before = Map.of(200, 10L, 503, 2L);
        Map<Integer, Long> after = Map.of(200, 110L, 201, 5L, 401, 1L, 422, 3L, 503, 2L, 500, 4L, 0, 6L);

        Map<Integer, Long> during = FaultInjector.difference(after, before);

        assertThat(during).doesNotContainKey(503).containsEntry(200, 100L).containsEntry(0, 6L);
        assertThat(FaultInjector.byClass(during)).isEqualTo("2xx 105, 401 1, other 4xx 3, 5xx 4, no answer 6");
    }
}
