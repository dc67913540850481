package io.splitguard.schemas.topics;

import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;

/**
 * One topic of the catalog: its name, layout and the serdes of its keys and values. Code obtains
 * topics from {@link TopicCatalog} only; no other place spells a topic name.
 *
 * @param configs topic-level configs applied at creation (retention, compaction, min ISR)
 */
public record Topic<K, V>(
        String name,
        int partitions,
        short replicationFactor,
        Map<String, String> configs,
        Serde<K> keySerde,
        Serde<V> valueSerde) {

    public Topic {
        Objects.requireNonNull(name, "name");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1 for " + name);
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replication factor must be >= 1 for " + name);
        }
        configs = Map.copyOf(configs);
        Objects.requireNonNull(keySerde, "keySerde");
        Objects.requireNonNull(valueSerde, "valueSerde");
    }
}
