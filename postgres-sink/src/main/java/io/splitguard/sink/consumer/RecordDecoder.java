package io.splitguard.sink.consumer;

import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.model.StoredCheckpoint;
import io.splitguard.schemas.topics.Topic;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads raw records with the catalog's serdes, inside the poll loop, so that a value nobody can read
 * becomes a {@link Inbound.Poison} to dead-letter instead of an exception that stops the consumer.
 *
 * <p>Records of the mutations topic become {@link Inbound.Mutation}s (a tombstone there is poison);
 * records of the checkpoints topic become {@link Inbound.Checkpoint}s, and a tombstone there is the
 * topology's purge of the session's checkpoint ({@link Inbound.CheckpointPurge}).
 */
public final class RecordDecoder {

    private static final int MAX_ERROR_LENGTH = 2_000;

    private final Deserializer<SequencedMutation> mutations;
    private final String checkpointsTopic;
    private final Deserializer<StoredCheckpoint> checkpoints;

    /** A decoder of the mutations topic only. */
    public RecordDecoder(Topic<String, SequencedMutation> mutations) {
        this.mutations = mutations.valueSerde().deserializer();
        this.checkpointsTopic = null;
        this.checkpoints = null;
    }

    /** A decoder of the mutations and the checkpoints topics. */
    public RecordDecoder(Topic<String, SequencedMutation> mutations, Topic<String, StoredCheckpoint> checkpoints) {
        this.mutations = mutations.valueSerde().deserializer();
        this.checkpointsTopic =
                Objects.requireNonNull(checkpoints, "checkpoints").name();
        this.checkpoints = checkpoints.valueSerde().deserializer();
    }

    public Inbound decode(ConsumerRecord<byte[], byte[]> record) {
        if (record.topic().equals(checkpointsTopic)) {
            return decodeCheckpoint(record);
        }
        byte[] raw = record.value();
        if (raw == null) {
            return poison(record, "null value (tombstone) on the mutations topic");
        }
        try {
            SequencedMutation value = mutations.deserialize(record.topic(), record.headers(), raw);
            if (value == null) {
                return poison(record, "value read as null");
            }
            return new Inbound.Mutation(record.topic(), record.partition(), record.offset(), record.key(), raw, value);
        } catch (RuntimeException e) {
            return poison(record, describe(e));
        }
    }

    private Inbound decodeCheckpoint(ConsumerRecord<byte[], byte[]> record) {
        if (record.key() == null) {
            return poison(record, "record without a key on the checkpoints topic (the key is the session id)");
        }
        String sessionId = new String(record.key(), StandardCharsets.UTF_8);
        byte[] raw = record.value();
        if (raw == null) {
            return new Inbound.CheckpointPurge(
                    record.topic(), record.partition(), record.offset(), record.key(), sessionId);
        }
        try {
            StoredCheckpoint value = checkpoints.deserialize(record.topic(), record.headers(), raw);
            if (value == null) {
                return poison(record, "value read as null");
            }
            if (!sessionId.equals(value.sessionId())) {
                return poison(record, "record key '" + sessionId + "' is not the checkpoint's session id");
            }
            return new Inbound.Checkpoint(
                    record.topic(), record.partition(), record.offset(), record.key(), raw, value);
        } catch (RuntimeException e) {
            return poison(record, describe(e));
        }
    }

    private static Inbound.Poison poison(ConsumerRecord<byte[], byte[]> record, String error) {
        return new Inbound.Poison(
                record.topic(), record.partition(), record.offset(), record.key(), record.value(), error);
    }

    static String describe(Throwable e) {
        String text = e.getClass().getSimpleName() + ": " + e.getMessage();
        return text.length() > MAX_ERROR_LENGTH ? text.substring(0, MAX_ERROR_LENGTH) : text;
    }
}
