package io.splitguard.admin;

import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.topics.Topic;
import io.splitguard.sink.consumer.Inbound;
import io.splitguard.sink.consumer.RecordDecoder;
import io.splitguard.sink.db.BatchWriter;
import io.splitguard.sink.db.SqlErrors;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Writes the mutations topic into a database schema with the sink's own code: each poll is decoded
 * by the sink's {@link RecordDecoder} and written by its {@link BatchWriter} (fence, duplicate keys,
 * refusals, dead letters, offsets in one transaction), so the replayed tables are what the sink
 * would have written. A record the database rejects is isolated and dead-lettered as the sink does.
 *
 * <p>It reads committed records only, from each partition's first offset up to a target offset per
 * partition (exclusive) fixed before it starts, and stores the offsets under the sink's consumer
 * group, so a sink pointed at the rebuilt schema continues where the replay stopped.
 */
final class Replayer {

    /** What a replay read and wrote. */
    record Result(long records, long written, long refused, long deadLetters, Map<TopicPartition, Long> nextOffsets) {}

    /** The topic no longer holds its beginning: retention deleted records a replay would need. */
    static final class TruncatedException extends Exception {
        private static final long serialVersionUID = 1L;

        TruncatedException(String message) {
            super(message);
        }
    }

    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration STALL_LIMIT = Duration.ofSeconds(60);

    private final AdminSettings settings;
    private final Topic<String, SequencedMutation> topic;
    private final int batchSize;

    Replayer(AdminSettings settings, Topic<String, SequencedMutation> topic, int batchSize) {
        this.settings = settings;
        this.topic = topic;
        this.batchSize = batchSize;
    }

    /** The topic's partitions with their log start offsets and last stable (read-committed end) offsets. */
    record Bounds(Map<TopicPartition, Long> start, Map<TopicPartition, Long> end) {
        /** Partitions whose first records were deleted, with their log start offsets. */
        Map<TopicPartition, Long> truncated() {
            Map<TopicPartition, Long> gone = new TreeMap<>(Offsets.ORDER);
            start.forEach((tp, s) -> {
                if (s > 0) {
                    gone.put(tp, s);
                }
            });
            return gone;
        }
    }

    String topicName() {
        return topic.name();
    }

    Bounds bounds() {
        try (KafkaConsumer<byte[], byte[]> consumer = settings.consumer(1)) {
            List<TopicPartition> partitions = Offsets.partitions(consumer, topic.name());
            return new Bounds(
                    new HashMap<>(consumer.beginningOffsets(partitions)),
                    new HashMap<>(consumer.endOffsets(partitions)));
        }
    }

    /**
     * Replays every partition from its beginning up to {@code targets} (next offset, exclusive) into
     * the tables {@code writer} writes.
     *
     * @param allowTruncated go on when a partition's first records were deleted by retention (the
     *     result then misses what they held); otherwise that is a {@link TruncatedException}
     */
    Result replay(
            DataSource target,
            String groupId,
            Duration idempotencyRetention,
            Map<TopicPartition, Long> targets,
            boolean allowTruncated)
            throws SQLException, TruncatedException, InterruptedException {
        BatchWriter writer = new BatchWriter(target, groupId, idempotencyRetention);
        RecordDecoder decoder = new RecordDecoder(topic);
        Counters counters = new Counters();
        Map<TopicPartition, Long> positions = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = settings.consumer(batchSize)) {
            Map<TopicPartition, Long> start = consumer.beginningOffsets(targets.keySet());
            Set<TopicPartition> remaining = new TreeSet<>(Offsets.ORDER);
            List<String> lost = new ArrayList<>();
            for (Map.Entry<TopicPartition, Long> e : targets.entrySet()) {
                long first = start.getOrDefault(e.getKey(), 0L);
                if (first > 0) {
                    lost.add(e.getKey() + " starts at offset " + first);
                }
                if (e.getValue() > first) {
                    remaining.add(e.getKey());
                }
            }
            if (!lost.isEmpty() && !allowTruncated) {
                throw new TruncatedException("retention deleted the first records of " + topic.name() + " ("
                        + String.join(", ", lost) + "): a replay would miss them. Its replay horizon is"
                        + " SPLITGUARD_REPLAY_HORIZON; --allow-truncated replays what is left");
            }
            consumer.assign(remaining);
            consumer.seekToBeginning(remaining);
            long lastProgress = System.nanoTime();
            while (!remaining.isEmpty()) {
                if (Thread.interrupted()) {
                    throw new InterruptedException("replay interrupted");
                }
                List<Inbound> batch = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                    if (record.offset() < targets.get(tp)) {
                        batch.add(decoder.decode(record));
                    }
                }
                if (!batch.isEmpty()) {
                    write(writer, batch, positions, counters, true);
                    lastProgress = System.nanoTime();
                }
                for (TopicPartition tp : List.copyOf(remaining)) {
                    if (consumer.position(tp) >= targets.get(tp)) {
                        remaining.remove(tp);
                        consumer.pause(List.of(tp));
                        lastProgress = System.nanoTime();
                    }
                }
                if (System.nanoTime() - lastProgress > STALL_LIMIT.toNanos()) {
                    throw new IllegalStateException("replay made no progress for " + STALL_LIMIT + " on " + remaining);
                }
            }
        }
        return new Result(counters.records, counters.written, counters.refused, counters.deadLetters, positions);
    }

    private static final class Counters {
        long records;
        long written;
        long refused;
        long deadLetters;
    }

    /** Writes one batch as the sink does; a record the database rejects is written alone as a dead letter. */
    private static void write(
            BatchWriter writer,
            List<Inbound> batch,
            Map<TopicPartition, Long> positions,
            Counters counters,
            boolean mayDeadLetter)
            throws SQLException {
        try {
            BatchWriter.Outcome outcome = writer.write(batch, positions, () -> false);
            positions.putAll(outcome.nextOffsets());
            counters.records += batch.size();
            counters.written += outcome.written();
            counters.refused += outcome.refusals().size();
            counters.deadLetters += outcome.deadLetters().size();
        } catch (BatchWriter.StaleOffsetsException e) {
            throw new IllegalStateException(
                    "something else is writing into the replay's schema (" + e.getMessage() + "); replay stopped", e);
        } catch (SQLException e) {
            if (!mayDeadLetter || !SqlErrors.isRecordSpecific(e)) {
                throw e;
            }
            if (batch.size() > 1) {
                for (Inbound in : batch) {
                    write(writer, List.of(in), positions, counters, true);
                }
            } else if (batch.get(0) instanceof Inbound.Mutation m) {
                String error = "rejected by the database (SQLState " + e.getSQLState() + "): " + e.getMessage();
                write(writer, List.of(m.asPoison(error)), positions, counters, false);
            } else {
                write(writer, batch, positions, counters, false);
            }
        }
    }
}
