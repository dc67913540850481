package io.splitguard.sink.consumer;

import io.splitguard.schemas.model.SequencedMutation;
import java.util.Objects;
import org.apache.kafka.common.TopicPartition;

/** One record of a poll, already read: either a mutation or a value the sink could not read. */
public sealed interface Inbound permits Inbound.Mutation, Inbound.Poison {

    String topic();

    int partition();

    long offset();

    byte[] rawKey();

    byte[] rawValue();

    default TopicPartition topicPartition() {
        return new TopicPartition(topic(), partition());
    }

    record Mutation(String topic, int partition, long offset, byte[] rawKey, byte[] rawValue, SequencedMutation value)
            implements Inbound {
        public Mutation {
            Objects.requireNonNull(value, "value");
        }

        /** The same record as a dead letter, for a value the database refuses to store. */
        public Poison asPoison(String error) {
            return new Poison(topic, partition, offset, rawKey, rawValue, error);
        }
    }

    record Poison(String topic, int partition, long offset, byte[] rawKey, byte[] rawValue, String error)
            implements Inbound {
        public Poison {
            Objects.requireNonNull(error, "error");
        }
    }
}
