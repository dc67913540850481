package io.splitguard.checkpoint.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.splitguard.checkpoint.CheckpointTopology;
import io.splitguard.checkpoint.Fixtures;
import io.splitguard.checkpoint.config.CheckpointConfig;
import io.splitguard.checkpoint.processor.CheckpointNodes;
import io.splitguard.checkpoint.processor.ServingPartitions;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.CheckpointRequest;
import io.splitguard.schemas.model.StoredCheckpoint;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.FailingStoreSupplier;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A storage error is not poison: it must fail the task, never be skipped or dead-lettered. */
class StoreFailureTest {

    private static final Instant T0 = Instant.parse("2026-05-15T14:32:00Z");

    @TempDir
    Path stateDir;

    @Test
    void shouldFailTheTaskInsteadOfDeadLetteringWhenTheStoreCannotWrite() {
        TopicCatalog topics =
                TopicCatalog.builder().prefix("fail.").sessionPartitions(2).build();
        CheckpointConfig config = CheckpointConfig.fromEnv(
                Map.of(
                        CheckpointConfig.APPLICATION_ID,
                        "checkpoint-fail-test",
                        CommonSettings.BOOTSTRAP_SERVERS,
                        "unused:9092",
                        CheckpointConfig.STATE_DIR,
                        stateDir.toString()),
                topics.deadLetters.name());
        FailingStoreSupplier store =
                new FailingStoreSupplier(Stores.persistentKeyValueStore(CheckpointNodes.LATEST_STORE));
        try (TopologyTestDriver driver = new TopologyTestDriver(
                CheckpointTopology.build(config, topics, store, new ServingPartitions()),
                config.streamsProperties(),
                T0)) {
            TestInputTopic<String, CheckpointRequest> in = driver.createInputTopic(
                    topics.checkpointsIn.name(),
                    Serdes.String().serializer(),
                    topics.checkpointsIn.valueSerde().serializer());
            TestOutputTopic<byte[], byte[]> deadLetters = driver.createOutputTopic(
                    topics.deadLetters.name(),
                    Serdes.ByteArray().deserializer(),
                    Serdes.ByteArray().deserializer());
            TestOutputTopic<String, StoredCheckpoint> checkpoints = driver.createOutputTopic(
                    topics.checkpoints.name(),
                    Serdes.String().deserializer(),
                    topics.checkpoints.valueSerde().deserializer());
            TestOutputTopic<String, AuditRecord> audit = driver.createOutputTopic(
                    topics.audit.name(),
                    Serdes.String().deserializer(),
                    topics.audit.valueSerde().deserializer());
            store.failPut(1);

            assertThatThrownBy(() -> in.pipeInput(new TestRecord<>("s1", Fixtures.checkpoint("s1", 1, "q", 60), T0)))
                    .hasRootCauseInstanceOf(ProcessorStateException.class);

            assertThat(store.failures()).isEqualTo(1);
            assertThat(deadLetters.isEmpty())
                    .as("a storage error is not poison")
                    .isTrue();
            assertThat(checkpoints.isEmpty()).isTrue();
            assertThat(audit.isEmpty()).isTrue();
        }
    }
}
