package io.splitguard.admin;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/** Reads partitions from their first offset to the end offsets taken at start, committed records only. */
final class TopicReader {

    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration STALL_LIMIT = Duration.ofSeconds(60);

    private TopicReader() {}

    static void readAll(
            AdminSettings settings, List<TopicPartition> partitions, Consumer<ConsumerRecord<byte[], byte[]>> each) {
        try (KafkaConsumer<byte[], byte[]> consumer = settings.consumer(500)) {
            Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions));
            Map<TopicPartition, Long> start = consumer.beginningOffsets(partitions);
            List<TopicPartition> remaining = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                if (end.get(tp) > start.get(tp)) {
                    remaining.add(tp);
                }
            }
            consumer.assign(remaining);
            consumer.seekToBeginning(remaining);
            long lastProgress = System.nanoTime();
            while (!remaining.isEmpty()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                        each.accept(r);
                        lastProgress = System.nanoTime();
                    }
                }
                for (TopicPartition tp : List.copyOf(remaining)) {
                    if (consumer.position(tp) >= end.get(tp)) {
                        remaining.remove(tp);
                        consumer.pause(List.of(tp));
                    }
                }
                if (System.nanoTime() - lastProgress > STALL_LIMIT.toNanos()) {
                    throw new IllegalStateException("no progress reading " + remaining + " for " + STALL_LIMIT);
                }
            }
        }
    }

    /** One record, fetched by its position; null when the partition no longer (or not yet) holds it. */
    static ConsumerRecord<byte[], byte[]> readOne(AdminSettings settings, TopicPartition tp, long offset) {
        try (KafkaConsumer<byte[], byte[]> consumer = settings.consumer(1)) {
            long start = consumer.beginningOffsets(List.of(tp)).get(tp);
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            if (offset < start || offset >= end) {
                return null;
            }
            consumer.assign(List.of(tp));
            consumer.seek(tp, offset);
            long deadline = System.nanoTime() + STALL_LIMIT.toNanos();
            while (System.nanoTime() < deadline && consumer.position(tp) <= offset) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    if (r.offset() == offset) {
                        return r;
                    }
                    if (r.offset() > offset) {
                        return null;
                    }
                }
            }
            return null;
        }
    }
}
