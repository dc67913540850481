package io.splitguard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.topology.config.DedupConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The launcher's topology honours the same environment settings as a topology process of its own. */
class PipelineConfigTest {

    @Test
    void shouldApplyTheTopologySettingsOfItsEnvironment() {
        TopicCatalog topics =
                TopicCatalog.builder().dedupWindow(Duration.ofHours(72)).build();
        PipelineSettings settings = new PipelineSettings(
                "k:9092",
                "jdbc:postgresql://db/x",
                "u",
                "",
                topics,
                Path.of("state"),
                0,
                "secret",
                "app-1",
                "sink-1",
                Duration.ofMillis(250),
                Map.of(
                        "SPLITGUARD_STREAM_THREADS", "2",
                        "SPLITGUARD_STANDBY_REPLICAS", "1",
                        "SPLITGUARD_STREAMS_MAX_TASK_IDLE_MS", "5",
                        "SPLITGUARD_DEDUP_SESSION_IDLE_HORIZON", "P3D"));

        DedupConfig config = Pipeline.dedupConfig(settings);

        assertThat(config.streamThreads()).isEqualTo(2);
        assertThat(config.standbyReplicas()).isEqualTo(1);
        assertThat(config.extra()).containsEntry("max.task.idle.ms", "5");
        assertThat(config.sessionIdleHorizon()).isEqualTo(Duration.ofDays(3));
        assertThat(config.bootstrapServers()).isEqualTo("k:9092");
        assertThat(config.applicationId()).isEqualTo("app-1");
        assertThat(config.commitInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(config.dedupWindow()).isEqualTo(Duration.ofHours(72));
        assertThat(config.stateDir()).isEqualTo(Path.of("state"));
    }
}
