package io.splitguard.health;

import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.model.FailoverDecision;
import io.splitguard.schemas.model.RegionVote;
import io.splitguard.schemas.topics.TopicCatalog;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the region quorum topology: region-health and failover-decisions → quorum processor (stores
 * {@value #VOTES_STORE}, {@value #DECISION_STORE}) → failover-decisions. A pure function of its
 * arguments; tests build the very same graph.
 *
 * <p>Both inputs have one partition, so one task holds every region's latest vote and the current
 * decision, and decides alone; exactly-once processing makes each decision and the store update behind
 * it one transaction. The decision store is restored from its changelog after a restart, and the
 * processor also reads the decisions topic back and adopts any higher epoch it finds there, so an
 * instance that starts with no state at all still continues from the latest epoch written.
 *
 * <p>The rule ({@link RegionQuorumProcessor}): a new primary, with epoch + 1, only when a strict
 * majority of the configured regions have fresh votes saying the current primary is unhealthy; the
 * new primary is the first region, in the configured order, other than the current one, with a
 * fresh healthy vote. A vote's freshness is judged on the processing instance's wall clock against
 * the record's broker append time, never a time inside the vote.
 */
public final class RegionQuorumTopology {

    public static final String VOTES_SOURCE = "region-votes-source";
    public static final String DECISIONS_SOURCE = "failover-decisions-source";
    public static final String PROCESSOR = "region-quorum";
    public static final String DECISIONS_SINK = "failover-decisions-sink";
    /** Latest vote per configured region, with when it was appended and first processed. */
    public static final String VOTES_STORE = "region-quorum-votes";
    /** The current decision, under {@link FailoverDecision#KEY}. */
    public static final String DECISION_STORE = "region-quorum-decision";

    private RegionQuorumTopology() {}

    /**
     * @param regions the configured regions, in tie-break order
     * @param initialPrimary the primary of epoch 1
     * @param maxAge a vote older than this does not count
     * @param evaluateEvery how often the votes are re-evaluated on the wall clock (votes that stop
     *     arriving age out between records)
     */
    public static Topology build(
            TopicCatalog topics, List<String> regions, String initialPrimary, Duration maxAge, Duration evaluateEvery) {
        List<String> configured = List.copyOf(regions);
        Objects.requireNonNull(initialPrimary, "initialPrimary");
        if (!configured.contains(initialPrimary)) {
            throw new IllegalArgumentException("initial primary " + initialPrimary + " is not one of " + configured);
        }
        Topology topology = new Topology();
        topology.addSource(
                VOTES_SOURCE,
                Serdes.String().deserializer(),
                topics.regionHealth.valueSerde().deserializer(),
                topics.regionHealth.name());
        topology.addSource(
                DECISIONS_SOURCE,
                Serdes.String().deserializer(),
                topics.failoverDecisions.valueSerde().deserializer(),
                topics.failoverDecisions.name());
        topology.addProcessor(
                PROCESSOR,
                () -> new RegionQuorumProcessor(configured, initialPrimary, maxAge, evaluateEvery),
                VOTES_SOURCE,
                DECISIONS_SOURCE);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(VOTES_STORE),
                                Serdes.String(),
                                JsonSerde.unchecked(StoredVote.class))
                        .withCachingDisabled(),
                PROCESSOR);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(DECISION_STORE),
                                Serdes.String(),
                                JsonSerde.unchecked(FailoverDecision.class))
                        .withCachingDisabled(),
                PROCESSOR);
        topology.addSink(
                DECISIONS_SINK,
                topics.failoverDecisions.name(),
                topics.failoverDecisions.keySerde().serializer(),
                topics.failoverDecisions.valueSerde().serializer(),
                PROCESSOR);
        return topology;
    }

    /** The topology for {@code settings}: evaluated every vote interval. */
    public static Topology build(TopicCatalog topics, RegionSettings settings) {
        return build(
                topics, settings.regions(), settings.initialPrimary(), settings.voteMaxAge(), settings.voteInterval());
    }

    /**
     * A region's latest vote as the quorum holds it.
     *
     * @param vote the vote
     * @param appendedAtMs the record's timestamp: the broker's append time on region-health
     * @param processedAtMs the processing instance's wall clock when it first processed the vote
     */
    public record StoredVote(RegionVote vote, long appendedAtMs, long processedAtMs) {

        /** How old the vote is at {@code nowMs}, from the earlier of its two stamps. */
        public long ageMs(long nowMs) {
            return Math.max(0, nowMs - Math.min(appendedAtMs, processedAtMs));
        }
    }
}
