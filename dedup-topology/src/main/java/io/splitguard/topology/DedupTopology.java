package io.splitguard.topology;

import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.model.IdempotencyOutcome;
import io.splitguard.schemas.model.LeaseCommand;
import io.splitguard.schemas.model.LeaseState;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.topology.config.DedupConfig;
import io.splitguard.topology.processor.DedupNodes;
import io.splitguard.topology.processor.DedupProcessor;
import io.splitguard.topology.processor.LeaseProcessor;
import io.splitguard.topology.processor.SessionSequence;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the dedup topology: mutations-in → dedup processor → mutations, idempotency outcomes,
 * audit and dead letters; lease-commands → lease processor → lease decisions, audit and dead letters.
 * A pure function of its arguments: tests build the very same graph.
 *
 * <p>Both processors are connected to the lease store, which makes them one sub-topology: lease-commands
 * is co-partitioned with mutations-in, so the task that owns partition p decides both the mutations
 * of the sessions on p and their leases (resource id = session id), and the dedup processor can check
 * a mutation's fencing token against the session's current lease in the same task.
 *
 * <p>The key store's retention is the dedup window. It follows the window at every start, so
 * shrinking the window forgets keys early and growing it takes effect for new keys only.
 */
public final class DedupTopology {

    private DedupTopology() {}

    public static Topology build(DedupConfig config, TopicCatalog topics) {
        return build(config, topics, Stores.persistentKeyValueStore(DedupNodes.SEQUENCE_STORE));
    }

    /**
     * The same topology with the session-sequence store taken from {@code sequenceStore} (named
     * {@link DedupNodes#SEQUENCE_STORE}); tests wrap the persistent store to inject storage failures.
     */
    public static Topology build(DedupConfig config, TopicCatalog topics, KeyValueBytesStoreSupplier sequenceStore) {
        if (!DedupNodes.SEQUENCE_STORE.equals(sequenceStore.name())) {
            throw new IllegalArgumentException("the sequence store must be named " + DedupNodes.SEQUENCE_STORE);
        }
        Duration window = config.dedupWindow();
        JsonSerde<MutationRequest> requestSerde = (JsonSerde<MutationRequest>) topics.mutationsIn.valueSerde();
        Topology topology = new Topology();
        topology.addSource(
                DedupNodes.SOURCE,
                Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer(),
                topics.mutationsIn.name());
        Duration skew = config.instanceClockSkew();
        Duration retention = DedupProcessor.retention(window, skew);
        topology.addProcessor(
                DedupNodes.PROCESSOR,
                () -> new DedupProcessor(
                        requestSerde, window, skew, config.sessionIdleHorizon(), config.sessionPurgeInterval()),
                DedupNodes.SOURCE);
        topology.addStateStore(
                Stores.windowStoreBuilder(
                        Stores.persistentWindowStore(DedupNodes.DEDUP_STORE, retention, window, false),
                        Serdes.String(),
                        JsonSerde.unchecked(IdempotencyOutcome.class)),
                DedupNodes.PROCESSOR);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(sequenceStore, Serdes.String(), SessionSequence.serde()),
                DedupNodes.PROCESSOR);
        JsonSerde<LeaseCommand> commandSerde = (JsonSerde<LeaseCommand>) topics.leaseCommands.valueSerde();
        topology.addSource(
                DedupNodes.LEASE_SOURCE,
                Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer(),
                topics.leaseCommands.name());
        topology.addProcessor(
                DedupNodes.LEASE_PROCESSOR,
                () -> new LeaseProcessor(commandSerde, config.leases()),
                DedupNodes.LEASE_SOURCE);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(DedupNodes.LEASE_STORE),
                        Serdes.String(),
                        JsonSerde.unchecked(LeaseState.class)),
                DedupNodes.LEASE_PROCESSOR,
                DedupNodes.PROCESSOR);
        topology.addSink(
                DedupNodes.LEASE_DECISIONS_SINK,
                topics.leaseDecisions.name(),
                topics.leaseDecisions.keySerde().serializer(),
                topics.leaseDecisions.valueSerde().serializer(),
                DedupNodes.LEASE_PROCESSOR);
        topology.addSink(
                DedupNodes.MUTATIONS_SINK,
                topics.mutations.name(),
                topics.mutations.keySerde().serializer(),
                topics.mutations.valueSerde().serializer(),
                DedupNodes.PROCESSOR);
        topology.addSink(
                DedupNodes.OUTCOMES_SINK,
                topics.idempotencyOutcomes.name(),
                topics.idempotencyOutcomes.keySerde().serializer(),
                topics.idempotencyOutcomes.valueSerde().serializer(),
                DedupNodes.PROCESSOR);
        topology.addSink(
                DedupNodes.AUDIT_SINK,
                topics.audit.name(),
                topics.audit.keySerde().serializer(),
                topics.audit.valueSerde().serializer(),
                DedupNodes.PROCESSOR,
                DedupNodes.LEASE_PROCESSOR);
        topology.addSink(
                DedupNodes.DEAD_LETTER_SINK,
                topics.deadLetters.name(),
                topics.deadLetters.keySerde().serializer(),
                topics.deadLetters.valueSerde().serializer(),
                DedupNodes.PROCESSOR,
                DedupNodes.LEASE_PROCESSOR);
        return topology;
    }
}
