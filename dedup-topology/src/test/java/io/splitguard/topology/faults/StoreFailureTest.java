package io.splitguard.topology.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.FailingStoreSupplier;
import io.splitguard.topology.DedupTopology;
import io.splitguard.topology.Fixtures;
import io.splitguard.topology.config.DedupConfig;
import io.splitguard.topology.processor.DedupNodes;
import java.nio.file.Path;
import java.time.Duration;
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
        DedupConfig config = DedupConfig.fromEnv(
                Map.of(
                        DedupConfig.APPLICATION_ID,
                        "dedup-fail-test",
                        CommonSettings.BOOTSTRAP_SERVERS,
                        "unused:9092",
                        CommonSettings.DEDUP_WINDOW,
                        Duration.ofHours(24).toString(),
                        DedupConfig.STATE_DIR,
                        stateDir.toString(),
                        DedupConfig.COMMIT_INTERVAL_MS,
                        "100"),
                topics.deadLetters.name());
        FailingStoreSupplier store =
                new FailingStoreSupplier(Stores.persistentKeyValueStore(DedupNodes.SEQUENCE_STORE));
        try (TopologyTestDriver driver =
                new TopologyTestDriver(DedupTopology.build(config, topics, store), config.streamsProperties(), T0)) {
            TestInputTopic<String, MutationRequest> in = driver.createInputTopic(
                    topics.mutationsIn.name(),
                    Serdes.String().serializer(),
                    topics.mutationsIn.valueSerde().serializer());
            TestOutputTopic<byte[], byte[]> deadLetters = driver.createOutputTopic(
                    topics.deadLetters.name(),
                    Serdes.ByteArray().deserializer(),
                    Serdes.ByteArray().deserializer());
            TestOutputTopic<String, SequencedMutation> mutations = driver.createOutputTopic(
                    topics.mutations.name(),
                    Serdes.String().deserializer(),
                    topics.mutations.valueSerde().deserializer());
            MutationRequest request = Fixtures.request("s1", "k1", "hello", T0);
            store.failPut(1);

            assertThatThrownBy(() -> in.pipeInput(new TestRecord<>("s1", request, T0)))
                    .hasRootCauseInstanceOf(ProcessorStateException.class);

            assertThat(store.failures()).isEqualTo(1);
            assertThat(deadLetters.isEmpty())
                    .as("a storage error is not poison")
                    .isTrue();
            assertThat(mutations.isEmpty()).isTrue();
        }
    }
}
