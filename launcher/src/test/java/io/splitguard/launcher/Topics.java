package io.splitguard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.topics.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What a read-committed reader sees on a topic (aborted transactions do not count), and how far a
 * consumer group is behind a topic's end.
 */
final class Topics {

    private Topics() {}

    /** A committed record of the mutations topic, with where it sits. */
    record Committed(int partition, long offset, SequencedMutation mutation) {}

    static long countCommitted(String bootstrap, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed"),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long count = 0;
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                count += consumer.poll(Duration.ofMillis(200)).count();
            }
            return count;
        }
    }

    /**
     * Every committed record of the mutations topic, decoded, read with {@code isolation.level=read_committed}
     * up to the last stable offset of each partition at the time of the call.
     */
    static List<Committed> readCommittedMutations(String bootstrap, Topic<String, SequencedMutation> topic) {
        try (KafkaConsumer<String, SequencedMutation> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed"),
                new StringDeserializer(),
                topic.valueSerde().deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic.name()).stream()
                    .map(p -> new TopicPartition(topic.name(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<Committed> records = new ArrayList<>();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, SequencedMutation> r : consumer.poll(Duration.ofMillis(200))) {
                    records.add(new Committed(r.partition(), r.offset(), r.value()));
                }
            }
            return records;
        }
    }

    /**
     * How many records of {@code topic} the consumer group {@code groupId} has not committed yet: the sum
     * over partitions of end offset minus committed offset (a partition without a committed offset counts
     * from 0).
     */
    static long lag(String bootstrap, String groupId, String topic) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            int partitions = admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get()
                    .get(topic)
                    .partitions()
                    .size();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
                    admin.listOffsets(latest).all().get();
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
                    .partitionsToOffsetAndMetadata()
                    .get();
            long lag = 0;
            for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e : ends.entrySet()) {
                OffsetAndMetadata at = committed.get(e.getKey());
                lag += e.getValue().offset() - (at == null ? 0 : at.offset());
            }
            return lag;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot read the lag of " + groupId + " on " + topic, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Sum of the end offsets of all partitions of {@code topic}: how many records were ever written to it. */
    static long endOffsetSum(String bootstrap, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            return consumer.endOffsets(partitions).values().stream()
                    .mapToLong(Long::longValue)
                    .sum();
        }
    }

    /**
     * Waits until the dedup topology (consumer group = its Streams application id) has committed every
     * record of its input topic: its input lag is 0. Under exactly-once the offsets commit in the same
     * transaction as the outputs, so from then on the mutations topic holds everything the topology will
     * ever write for that input.
     */
    static void awaitInputLagZero(String bootstrap, String applicationId, String inputTopic, Duration atMost) {
        await("input lag of " + applicationId + " on " + inputTopic)
                .atMost(atMost)
                .pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(lag(bootstrap, applicationId, inputTopic))
                        .as("records of %s not yet committed by %s", inputTopic, applicationId)
                        .isZero());
    }
}
