package io.splitguard.checkpoint.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.splitguard.checkpoint.Fixtures;
import io.splitguard.checkpoint.config.CheckpointConfig;
import io.splitguard.checkpoint.processor.CheckpointNodes;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.CheckpointRequest;
import io.splitguard.schemas.model.StoredCheckpoint;
import io.splitguard.schemas.topics.Topic;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.FailingStoreSupplier;
import io.splitguard.testsupport.SharedInfra;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * On the real embedded broker: checkpoints produced out of order (a lagging region, retries) while a
 * store write fails once in the middle. The task fails, its thread is replaced, processing resumes from
 * the last commit, and the compacted checkpoints topic holds each accepted checkpoint exactly once, in
 * increasing sequence order, with the highest sequence last.
 */
@ExtendWith(SharedInfra.class)
class CheckpointStreamsIT {

    /** Per session, in the order sent: 5, 7 and 8 are accepted; 3, 6 and the second 7 are stale. */
    private static final List<Long> SENT = List.of(5L, 3L, 7L, 6L, 7L, 8L);

    private static final List<Long> ACCEPTED = List.of(5L, 7L, 8L);

    @TempDir
    Path stateDir;

    @Test
    void shouldKeepTheHighestSequencePerSessionExactlyOnceWhenCheckpointsArriveOutOfOrderAndAStoreWriteFails()
            throws Exception {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String name = SharedInfra.uniqueName("checkpoint");
        TopicCatalog topics =
                TopicCatalog.builder().prefix(name + ".").sessionPartitions(2).build();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        CheckpointConfig config = CheckpointConfig.fromEnv(
                Map.of(
                        CheckpointConfig.APPLICATION_ID,
                        name,
                        CommonSettings.BOOTSTRAP_SERVERS,
                        bootstrap,
                        CheckpointConfig.STATE_DIR,
                        stateDir.toString(),
                        CheckpointConfig.COMMIT_INTERVAL_MS,
                        "100"),
                topics.deadLetters.name());
        FailingStoreSupplier store =
                new FailingStoreSupplier(Stores.persistentKeyValueStore(CheckpointNodes.LATEST_STORE));
        store.failPut(10);
        List<String> sessions = IntStream.range(0, 4).mapToObj(i -> "s" + i).toList();
        try (CheckpointStreams streams = CheckpointStreams.start(config, topics, store);
                KafkaProducer<String, CheckpointRequest> producer = new KafkaProducer<>(
                        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
                        topics.checkpointsIn.keySerde().serializer(),
                        topics.checkpointsIn.valueSerde().serializer())) {
            for (long sequence : SENT) {
                for (String session : sessions) {
                    CheckpointRequest c = Fixtures.checkpoint(session, sequence, "q" + sequence, 3600);
                    producer.send(new ProducerRecord<>(topics.checkpointsIn.name(), session, c));
                }
            }
            producer.flush();

            // every input decided once: audit is written in the same transactions as the checkpoints
            List<AuditRecord> audit = new ArrayList<>();
            try (KafkaConsumer<String, AuditRecord> consumer = consumer(bootstrap, name + "-audit", topics.audit)) {
                await().atMost(Duration.ofSeconds(90)).until(() -> {
                    consumer.poll(Duration.ofMillis(200)).forEach(r -> audit.add(r.value()));
                    return audit.size() >= SENT.size() * sessions.size();
                });
                List<ConsumerRecord<String, AuditRecord>> rest = readToEnd(consumer);
                rest.forEach(r -> audit.add(r.value()));
            }
            List<ConsumerRecord<String, StoredCheckpoint>> written;
            try (KafkaConsumer<String, StoredCheckpoint> consumer =
                    consumer(bootstrap, name + "-latest", topics.checkpoints)) {
                written = readToEnd(consumer);
            }

            assertThat(store.failures()).as("the injected failure happened").isEqualTo(1);
            assertThat(streams.state().isRunningOrRebalancing()).isTrue();
            assertThat(audit)
                    .filteredOn(a -> a.decision() == AuditRecord.Decision.CHECKPOINT_ACCEPTED)
                    .hasSize(ACCEPTED.size() * sessions.size());
            assertThat(audit)
                    .filteredOn(a -> a.decision() == AuditRecord.Decision.CHECKPOINT_REJECTED_STALE)
                    .hasSize((SENT.size() - ACCEPTED.size()) * sessions.size());
            Map<String, List<Long>> perSession = new HashMap<>();
            Map<String, StoredCheckpoint> latest = new LinkedHashMap<>();
            for (ConsumerRecord<String, StoredCheckpoint> r : written) {
                perSession
                        .computeIfAbsent(r.key(), k -> new ArrayList<>())
                        .add(r.value().sequence());
                latest.put(r.key(), r.value());
            }
            assertThat(perSession).containsOnlyKeys(sessions);
            for (String session : sessions) {
                assertThat(perSession.get(session)).as(session).containsExactlyElementsOf(ACCEPTED);
                assertThat(latest.get(session).variables().get("routing_queue").asText())
                        .isEqualTo("q8");
                assertThat(latest.get(session).variables().has("last_menu_selection"))
                        .isFalse();
            }
        }
    }

    private static <V> KafkaConsumer<String, V> consumer(String bootstrap, String group, Topic<String, V> topic) {
        KafkaConsumer<String, V> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.GROUP_ID_CONFIG,
                        group,
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed"),
                new StringDeserializer(),
                topic.valueSerde().deserializer());
        List<TopicPartition> partitions = IntStream.range(0, topic.partitions())
                .mapToObj(p -> new TopicPartition(topic.name(), p))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }

    /** Everything from the consumer's position up to the last stable offset of each partition. */
    private static <V> List<ConsumerRecord<String, V>> readToEnd(KafkaConsumer<String, V> consumer) {
        Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
        List<ConsumerRecord<String, V>> records = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            return end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
        });
        return records;
    }
}
