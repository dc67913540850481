package io.splitguard.sink.consumer;

import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.topics.Topic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads raw records with the catalog's serde, inside the poll loop, so that a value nobody can read
 * becomes a {@link Inbound.Poison} to dead-letter instead of an exception that stops the consumer.
 */
public final class RecordDecoder {

    private static final int MAX_ERROR_LENGTH = 2_000;

    private final Deserializer<SequencedMutation> values;

    public RecordDecoder(Topic<String, SequencedMutation> topic) {
        this.values = topic.valueSerde().deserializer();
    }

    public Inbound decode(ConsumerRecord<byte[], byte[]> record) {
        byte[] raw = record.value();
        if (raw == null) {
            return poison(record, "null value (tombstone) on the mutations topic");
        }
        try {
            SequencedMutation value = values.deserialize(record.topic(), record.headers(), raw);
            if (value == null) {
                return poison(record, "value read as null");
            }
            return new Inbound.Mutation(record.topic(), record.partition(), record.offset(), record.key(), raw, value);
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
