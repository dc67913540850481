package io.splitguard.topology.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.FailingStoreSupplier;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.topology.DedupTopology;
import io.splitguard.topology.Fixtures;
import io.splitguard.topology.app.DedupStreams;
import io.splitguard.topology.config.DedupConfig;
import io.splitguard.topology.processor.DedupNodes;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a real broker: a state-store write fails in the middle of a stream. The task must fail, its
 * thread be replaced, and processing resume from the last committed transaction, so every record is
 * applied exactly once with gapless per-session sequences and nothing is dead-lettered.
 */
@ExtendWith(SharedInfra.class)
class StoreFailureIT {

    @TempDir
    Path stateDir;

    @Test
    void shouldResumeFromTheLastCommitAfterAStoreFailureSkippingNothing() throws Exception {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String name = SharedInfra.uniqueName("storefail");
        TopicCatalog topics =
                TopicCatalog.builder().prefix(name + ".").sessionPartitions(2).build();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        DedupConfig config = DedupConfig.fromEnv(
                Map.of(
                        DedupConfig.APPLICATION_ID,
                        name,
                        CommonSettings.BOOTSTRAP_SERVERS,
                        bootstrap,
                        CommonSettings.DEDUP_WINDOW,
                        Duration.ofHours(24).toString(),
                        DedupConfig.STATE_DIR,
                        stateDir.toString(),
                        DedupConfig.COMMIT_INTERVAL_MS,
                        "100"),
                topics.deadLetters.name());
        FailingStoreSupplier store =
                new FailingStoreSupplier(Stores.persistentKeyValueStore(DedupNodes.SEQUENCE_STORE));
        store.failPut(25);
        int sessions = 4;
        int perSession = 15;
        List<MutationRequest> sent = new ArrayList<>();
        try (DedupStreams streams = DedupStreams.start(config, DedupTopology.build(config, topics, store));
                KafkaProducer<String, MutationRequest> producer = new KafkaProducer<>(
                        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
                        topics.mutationsIn.keySerde().serializer(),
                        topics.mutationsIn.valueSerde().serializer())) {
            Instant now = Instant.now();
            for (int i = 0; i < perSession; i++) {
                for (int s = 0; s < sessions; s++) {
                    MutationRequest r = Fixtures.request("s" + s, "k" + s + "-" + i, "n" + i, now);
                    sent.add(r);
                    producer.send(new ProducerRecord<>(topics.mutationsIn.name(), r.sessionId(), r));
                }
            }
            producer.flush();

            Map<String, List<Long>> sequences = new HashMap<>();
            List<String> appliedKeys = new ArrayList<>();
            try (KafkaConsumer<String, SequencedMutation> consumer = new KafkaConsumer<>(
                    Map.of(
                            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                            bootstrap,
                            ConsumerConfig.GROUP_ID_CONFIG,
                            name + "-check",
                            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                            "earliest",
                            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                            "read_committed"),
                    new StringDeserializer(),
                    topics.mutations.valueSerde().deserializer())) {
                consumer.subscribe(List.of(topics.mutations.name()));
                await().atMost(Duration.ofSeconds(90)).until(() -> {
                    for (ConsumerRecord<String, SequencedMutation> r : consumer.poll(Duration.ofMillis(200))) {
                        sequences
                                .computeIfAbsent(r.value().sessionId(), k -> new ArrayList<>())
                                .add(r.value().sequence());
                        appliedKeys.add(r.value().scopedKey());
                    }
                    return appliedKeys.size() >= sent.size();
                });
                // anything beyond the expected count would be a double application: read a little longer
                for (ConsumerRecord<String, SequencedMutation> r : consumer.poll(Duration.ofSeconds(1))) {
                    appliedKeys.add(r.value().scopedKey());
                }
            }
            assertThat(store.failures()).as("the injected failure happened").isEqualTo(1);
            assertThat(streams.isRunning() || streams.state().isRunningOrRebalancing())
                    .isTrue();
            assertThat(appliedKeys)
                    .containsExactlyInAnyOrderElementsOf(
                            sent.stream().map(MutationRequest::scopedKey).toList());
            for (int s = 0; s < sessions; s++) {
                assertThat(sequences.get("s" + s))
                        .as("session s%d", s)
                        .containsExactlyElementsOf(
                                LongStream.rangeClosed(1, perSession).boxed().toList());
            }
            try (KafkaConsumer<byte[], byte[]> dead = new KafkaConsumer<>(
                    Map.of(
                            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                            bootstrap,
                            ConsumerConfig.GROUP_ID_CONFIG,
                            name + "-dead",
                            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                            "earliest"),
                    new ByteArrayDeserializer(),
                    new ByteArrayDeserializer())) {
                dead.subscribe(List.of(topics.deadLetters.name()));
                assertThat(dead.poll(Duration.ofSeconds(3)).isEmpty())
                        .as("nothing dead-lettered")
                        .isTrue();
            }
        }
    }
}
