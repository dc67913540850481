package io.splitguard.checkpoint.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.checkpoint.CheckpointTopology;
import io.splitguard.checkpoint.config.CheckpointConfig;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.topics.TopicCatalog;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServingPartitionsTest {

    @TempDir
    Path stateDir;

    @Test
    void shouldGiveEachIncarnationANewGenerationWhenAPartitionRestarts() {
        ServingPartitions serving = new ServingPartitions();
        assertThat(serving.generation(3)).isEqualTo(ServingPartitions.NOT_SERVING);

        long first = serving.started(3);
        assertThat(serving.generation(3)).isEqualTo(first).isNotEqualTo(ServingPartitions.NOT_SERVING);
        serving.stopped(3, first);
        assertThat(serving.generation(3)).isEqualTo(ServingPartitions.NOT_SERVING);

        long second = serving.started(3);
        assertThat(second).isNotEqualTo(first);
        assertThat(serving.snapshot()).containsExactly(Map.entry(3, second));
    }

    @Test
    void shouldKeepTheNewIncarnationWhenTheOldOneStopsLate() {
        ServingPartitions serving = new ServingPartitions();
        long old = serving.started(1);
        long current = serving.started(1);

        serving.stopped(1, old);

        assertThat(serving.generation(1)).isEqualTo(current);
    }

    @Test
    void shouldServeThePartitionOnlyWhileItsProcessorIsOpenWhenTheTopologyRuns() {
        TopicCatalog topics =
                TopicCatalog.builder().prefix("test.").sessionPartitions(4).build();
        CheckpointConfig config = CheckpointConfig.fromEnv(
                Map.of(
                        CheckpointConfig.APPLICATION_ID,
                        "serving-test",
                        CommonSettings.BOOTSTRAP_SERVERS,
                        "unused:9092",
                        CheckpointConfig.STATE_DIR,
                        stateDir.toString()),
                topics.deadLetters.name());
        ServingPartitions serving = new ServingPartitions();

        try (TopologyTestDriver driver = new TopologyTestDriver(
                CheckpointTopology.build(config, topics, CheckpointTopology.persistentStore(), serving),
                config.streamsProperties())) {
            assertThat(driver.producedTopicNames()).isNotNull();
            assertThat(serving.generation(0)).isNotEqualTo(ServingPartitions.NOT_SERVING);
        }

        assertThat(serving.snapshot()).isEmpty();
    }
}
