package io.splitguard.checkpoint;

import io.splitguard.checkpoint.config.CheckpointConfig;
import io.splitguard.checkpoint.processor.CheckpointNodes;
import io.splitguard.checkpoint.processor.CheckpointProcessor;
import io.splitguard.checkpoint.processor.ServingPartitions;
import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.model.CheckpointRequest;
import io.splitguard.schemas.model.StoredCheckpoint;
import io.splitguard.schemas.topics.TopicCatalog;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the checkpoint topology: checkpoints-in → checkpoint processor (store {@value
 * CheckpointNodes#LATEST_STORE}) → checkpoints (compacted), audit and dead letters. A pure function of
 * its arguments: tests build the very same graph.
 *
 * <p>The store has caching off, so every accepted checkpoint reaches the changelog at the commit that
 * acknowledges its input, and interactive queries see exactly what the changelog holds.
 */
public final class CheckpointTopology {

    private CheckpointTopology() {}

    public static Topology build(CheckpointConfig config, TopicCatalog topics) {
        return build(config, topics, persistentStore(), new ServingPartitions());
    }

    /** The store the topology keeps its checkpoints in: persistent (RocksDB), named {@link CheckpointNodes#LATEST_STORE}. */
    public static KeyValueBytesStoreSupplier persistentStore() {
        return Stores.persistentKeyValueStore(CheckpointNodes.LATEST_STORE);
    }

    /**
     * The same topology with the store taken from {@code latestStore} (named {@link
     * CheckpointNodes#LATEST_STORE}; tests wrap the persistent store to inject storage failures), each
     * task announcing in {@code serving} when its partition runs, which interactive queries check.
     */
    public static Topology build(
            CheckpointConfig config,
            TopicCatalog topics,
            KeyValueBytesStoreSupplier latestStore,
            ServingPartitions serving) {
        if (!CheckpointNodes.LATEST_STORE.equals(latestStore.name())) {
            throw new IllegalArgumentException("the checkpoint store must be named " + CheckpointNodes.LATEST_STORE);
        }
        JsonSerde<CheckpointRequest> requestSerde = (JsonSerde<CheckpointRequest>) topics.checkpointsIn.valueSerde();
        Topology topology = new Topology();
        topology.addSource(
                CheckpointNodes.SOURCE,
                Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer(),
                topics.checkpointsIn.name());
        topology.addProcessor(
                CheckpointNodes.PROCESSOR,
                () -> new CheckpointProcessor(
                        requestSerde, config.excludedVariables(), config.maxTtl(), config.purgeInterval(), serving),
                CheckpointNodes.SOURCE);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(latestStore, Serdes.String(), storeSerde())
                        .withCachingDisabled(),
                CheckpointNodes.PROCESSOR);
        topology.addSink(
                CheckpointNodes.CHECKPOINTS_SINK,
                topics.checkpoints.name(),
                topics.checkpoints.keySerde().serializer(),
                topics.checkpoints.valueSerde().serializer(),
                CheckpointNodes.PROCESSOR);
        topology.addSink(
                CheckpointNodes.AUDIT_SINK,
                topics.audit.name(),
                topics.audit.keySerde().serializer(),
                topics.audit.valueSerde().serializer(),
                CheckpointNodes.PROCESSOR);
        topology.addSink(
                CheckpointNodes.DEAD_LETTER_SINK,
                topics.deadLetters.name(),
                topics.deadLetters.keySerde().serializer(),
                topics.deadLetters.valueSerde().serializer(),
                CheckpointNodes.PROCESSOR);
        return topology;
    }

    /**
     * The store's value serde: {@link StoredCheckpoint} in the shared JSON mapping (the stored-checkpoint
     * schema), unchecked on read because only this topology writes it. Readers of the store (interactive
     * queries) use the same.
     */
    public static JsonSerde<StoredCheckpoint> storeSerde() {
        return JsonSerde.unchecked(StoredCheckpoint.class);
    }
}
