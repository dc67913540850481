package io.splitguard.sink.consumer;

import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.model.StoredCheckpoint;
import java.util.Objects;
import org.apache.kafka.common.TopicPartition;

/**
 * One record of a poll, already read: a mutation, a session's latest checkpoint, the purge of one
 * (a tombstone on the checkpoints topic), or a value the sink could not read.
 */
public sealed interface Inbound permits Inbound.Mutation, Inbound.Checkpoint, Inbound.CheckpointPurge, Inbound.Poison {

    String topic();

    int partition();

    long offset();

    byte[] rawKey();

    byte[] rawValue();

    default TopicPartition topicPartition() {
        return new TopicPartition(topic(), partition());
    }

    /** The same record as a dead letter, for a value the database refuses to store. */
    default Poison asPoison(String error) {
        return new Poison(topic(), partition(), offset(), rawKey(), rawValue(), error);
    }

    record Mutation(String topic, int partition, long offset, byte[] rawKey, byte[] rawValue, SequencedMutation value)
            implements Inbound {
        public Mutation {
            Objects.requireNonNull(value, "value");
        }
    }

    /** A checkpoint the topology accepted as its session's latest. */
    record Checkpoint(String topic, int partition, long offset, byte[] rawKey, byte[] rawValue, StoredCheckpoint value)
            implements Inbound {
        public Checkpoint {
            Objects.requireNonNull(value, "value");
        }
    }

    /** The topology purged the session's expired checkpoint: the session has none from here on. */
    record CheckpointPurge(String topic, int partition, long offset, byte[] rawKey, String sessionId)
            implements Inbound {
        public CheckpointPurge {
            Objects.requireNonNull(sessionId, "sessionId");
        }

        @Override
        public byte[] rawValue() {
            return null;
        }
    }

    record Poison(String topic, int partition, long offset, byte[] rawKey, byte[] rawValue, String error)
            implements Inbound {
        public Poison {
            Objects.requireNonNull(error, "error");
        }
    }
}
