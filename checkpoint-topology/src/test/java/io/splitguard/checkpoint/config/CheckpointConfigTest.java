package io.splitguard.checkpoint.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.splitguard.schemas.checkpoint.TransientVariables;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class CheckpointConfigTest {

    @Test
    void shouldUseExactlyOnceAndTheDocumentedDefaultsWhenNothingIsSet() {
        CheckpointConfig config = CheckpointConfig.fromEnv(Map.of(), "dlq");
        Properties props = config.streamsProperties();

        assertThat(config.applicationId()).isEqualTo("splitguard-checkpoint");
        assertThat(config.maxTtl()).isEqualTo(Duration.ofDays(1));
        assertThat(config.purgeInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.excludedVariables()).containsExactlyElementsOf(TransientVariables.DEFAULTS);
        assertThat(props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
        assertThat(props).doesNotContainKey(StreamsConfig.APPLICATION_SERVER_CONFIG);
    }

    @Test
    void shouldSetTheQueryEndpointAndPassThroughStreamsSettingsWhenConfigured() {
        CheckpointConfig config = CheckpointConfig.fromEnv(
                Map.of(
                        CheckpointConfig.APPLICATION_SERVER,
                        "10.0.0.7:8090",
                        "SPLITGUARD_STREAMS_MAX_WARMUP_REPLICAS",
                        "3",
                        CheckpointConfig.EXCLUDED_VARIABLES,
                        ""),
                "dlq");

        assertThat(config.streamsProperties())
                .containsEntry(StreamsConfig.APPLICATION_SERVER_CONFIG, "10.0.0.7:8090")
                .containsEntry("max.warmup.replicas", "3");
        assertThat(config.excludedVariables()).isEmpty();
    }

    @Test
    void shouldRefuseToStartWhenASettingIsInvalidOrAGuaranteeIsOverridden() {
        assertThatThrownBy(() -> CheckpointConfig.fromEnv(Map.of(CheckpointConfig.MAX_TTL, "P8D"), "dlq"))
                .hasMessageContaining(CheckpointConfig.MAX_TTL);
        assertThatThrownBy(() -> CheckpointConfig.fromEnv(Map.of(CheckpointConfig.PURGE_INTERVAL, "0"), "dlq"))
                .hasMessageContaining(CheckpointConfig.PURGE_INTERVAL);
        assertThatThrownBy(() -> CheckpointConfig.fromEnv(
                                Map.of("SPLITGUARD_STREAMS_PROCESSING_GUARANTEE", "at_least_once"), "dlq")
                        .streamsProperties())
                .hasMessageContaining("processing.guarantee");
    }
}
