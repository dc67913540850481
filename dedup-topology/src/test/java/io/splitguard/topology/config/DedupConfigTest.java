package io.splitguard.topology.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndFailExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;
import org.junit.jupiter.api.Test;

class DedupConfigTest {

    @Test
    void shouldFailTasksOnProcessingErrorsAndKeepStreamsOwnDeadLetteringOff() {
        Properties p = DedupConfig.fromEnv(Map.of(), "dlq").streamsProperties();

        assertThat(p.get(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG))
                .isEqualTo(LogAndFailProcessingExceptionHandler.class);
        assertThat(p.get(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG))
                .isEqualTo(LogAndFailExceptionHandler.class);
        assertThat(p).doesNotContainKey(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
        assertThat(p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
    }

    @Test
    void shouldRefusePassThroughSettingsThatWouldBreakExactlyOnce() {
        for (String key : new String[] {
            "SPLITGUARD_STREAMS_PROCESSING_GUARANTEE",
            "SPLITGUARD_STREAMS_PRODUCER_ACKS",
            "SPLITGUARD_STREAMS_CONSUMER_ISOLATION_LEVEL",
            "SPLITGUARD_STREAMS_PROCESSING_EXCEPTION_HANDLER"
        }) {
            DedupConfig config = DedupConfig.fromEnv(Map.of(key, "x"), "dlq");
            assertThatThrownBy(config::streamsProperties)
                    .as(key)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cannot be overridden");
        }
    }

    @Test
    void shouldNameTheSettingThatDoesNotParse() {
        assertThatThrownBy(() -> DedupConfig.fromEnv(Map.of("SPLITGUARD_STREAM_THREADS", "two"), "dlq"))
                .hasMessageContaining("SPLITGUARD_STREAM_THREADS");
        assertThatThrownBy(() -> DedupConfig.fromEnv(Map.of("SPLITGUARD_DEDUP_WINDOW", "24h"), "dlq"))
                .hasMessageContaining("SPLITGUARD_DEDUP_WINDOW");
    }

    @Test
    void shouldReadTheInstanceClockSkewBound() {
        assertThat(DedupConfig.fromEnv(Map.of("SPLITGUARD_DEDUP_INSTANCE_CLOCK_SKEW", "PT1M"), "dlq")
                        .instanceClockSkew())
                .isEqualTo(Duration.ofMinutes(1));
        assertThat(DedupConfig.fromEnv(Map.of(), "dlq").instanceClockSkew())
                .isEqualTo(DedupConfig.DEFAULT_INSTANCE_CLOCK_SKEW);
    }

    @Test
    void shouldReadTheIdleHorizonAndRefuseOneThatACrossInstanceSkewCouldOvertake() {
        DedupConfig config = DedupConfig.fromEnv(
                Map.of(
                        "SPLITGUARD_DEDUP_SESSION_IDLE_HORIZON",
                        "PT12H",
                        "SPLITGUARD_DEDUP_SESSION_PURGE_INTERVAL",
                        "PT5M"),
                "dlq");
        assertThat(config.sessionIdleHorizon()).isEqualTo(Duration.ofHours(12));
        assertThat(config.sessionPurgeInterval()).isEqualTo(Duration.ofMinutes(5));
        assertThatThrownBy(() -> DedupConfig.fromEnv(
                        Map.of(
                                "SPLITGUARD_DEDUP_SESSION_IDLE_HORIZON",
                                "PT10M",
                                "SPLITGUARD_DEDUP_INSTANCE_CLOCK_SKEW",
                                "PT5M"),
                        "dlq"))
                .hasMessageContaining("sessionIdleHorizon")
                .hasMessageContaining("twice");
    }
}
