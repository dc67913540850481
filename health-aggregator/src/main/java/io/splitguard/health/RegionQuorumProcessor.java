package io.splitguard.health;

import io.splitguard.health.RegionQuorumTopology.StoredVote;
import io.splitguard.schemas.model.FailoverDecision;
import io.splitguard.schemas.model.RegionVote;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the latest vote per configured region and decides failover (see {@link
 * RegionQuorumTopology}). Evaluates after every vote and on a wall-clock punctuation, so a primary
 * whose votes stop is voted out once the others' votes say so, and votes that stop arriving age out.
 *
 * <p>The first decision (epoch 1, the configured initial primary) is written once the first vote is
 * processed and no decision is known yet, neither in the store nor read back from the decisions topic.
 */
final class RegionQuorumProcessor implements Processor<String, Object, String, FailoverDecision> {

    private static final Logger LOG = LoggerFactory.getLogger(RegionQuorumProcessor.class);

    private final List<String> regions;
    private final String initialPrimary;
    private final long maxAgeMs;
    private final Duration evaluateEvery;
    private ProcessorContext<String, FailoverDecision> context;
    private KeyValueStore<String, StoredVote> votes;
    private KeyValueStore<String, FailoverDecision> decisions;
    private String lastRefusal = "";

    RegionQuorumProcessor(List<String> regions, String initialPrimary, Duration maxAge, Duration evaluateEvery) {
        this.regions = List.copyOf(regions);
        this.initialPrimary = initialPrimary;
        this.maxAgeMs = maxAge.toMillis();
        this.evaluateEvery = evaluateEvery;
    }

    @Override
    public void init(ProcessorContext<String, FailoverDecision> context) {
        this.context = context;
        this.votes = context.getStateStore(RegionQuorumTopology.VOTES_STORE);
        this.decisions = context.getStateStore(RegionQuorumTopology.DECISION_STORE);
        context.schedule(evaluateEvery, PunctuationType.WALL_CLOCK_TIME, this::evaluate);
    }

    @Override
    public void process(Record<String, Object> record) {
        if (record.value() instanceof FailoverDecision written) {
            adopt(written);
            return;
        }
        if (record.value() != null && !(record.value() instanceof RegionVote)) {
            LOG.warn(
                    "ignoring a record of unexpected type {}",
                    record.value().getClass().getName());
            return;
        }
        String region = record.key();
        if (region == null || !regions.contains(region)) {
            LOG.warn("ignoring a vote keyed '{}', not one of the configured regions {}", region, regions);
            return;
        }
        RegionVote vote = (RegionVote) record.value();
        if (vote == null) {
            votes.delete(region);
            return;
        }
        if (!region.equals(vote.region())) {
            LOG.warn("ignoring a vote of region '{}' keyed '{}'", vote.region(), region);
            return;
        }
        long now = context.currentSystemTimeMs();
        votes.put(region, new StoredVote(vote, record.timestamp(), now));
        evaluate(now);
    }

    /** A decision read back from the decisions topic: a higher epoch than ours is the truth. */
    private void adopt(FailoverDecision written) {
        FailoverDecision current = decisions.get(FailoverDecision.KEY);
        if (current == null || written.epoch() > current.epoch()) {
            LOG.info(
                    "adopting epoch {} (primary {}) from the decisions topic; the store had {}",
                    written.epoch(),
                    written.primary(),
                    current == null ? "none" : "epoch " + current.epoch());
            decisions.put(FailoverDecision.KEY, written);
        }
    }

    private void evaluate(long now) {
        FailoverDecision current = decisions.get(FailoverDecision.KEY);
        if (current == null) {
            if (!anyVote()) {
                return;
            }
            decide(new FailoverDecision(
                    1,
                    initialPrimary,
                    null,
                    FailoverDecision.REASON_INITIAL,
                    List.of(),
                    regions,
                    Instant.ofEpochMilli(now)));
            return;
        }
        String primary = current.primary();
        List<String> against = new ArrayList<>();
        List<String> healthyVoters = new ArrayList<>();
        for (String region : regions) {
            StoredVote stored = votes.get(region);
            if (stored == null || stored.ageMs(now) > maxAgeMs) {
                continue;
            }
            if (stored.vote().saysUnhealthy(primary, current.epoch())) {
                against.add(region);
            }
            if (stored.vote().healthy()) {
                healthyVoters.add(region);
            }
        }
        if (against.size() * 2 <= regions.size()) {
            lastRefusal = "";
            return;
        }
        Optional<String> next =
                healthyVoters.stream().filter(r -> !r.equals(primary)).findFirst();
        if (next.isEmpty()) {
            String refusal = "majority " + against + " says primary " + primary
                    + " is unhealthy, but no other region has a fresh healthy vote";
            if (!refusal.equals(lastRefusal)) {
                LOG.warn("no failover at epoch {}: {}", current.epoch(), refusal);
                lastRefusal = refusal;
            }
            return;
        }
        lastRefusal = "";
        decide(new FailoverDecision(
                current.epoch() + 1,
                next.get(),
                primary,
                FailoverDecision.REASON_MAJORITY,
                against,
                regions,
                Instant.ofEpochMilli(now)));
    }

    private boolean anyVote() {
        for (String region : regions) {
            if (votes.get(region) != null) {
                return true;
            }
        }
        return false;
    }

    private void decide(FailoverDecision decision) {
        LOG.info(
                "failover decision: epoch {} primary {} (previous {}, {}, against {})",
                decision.epoch(),
                decision.primary(),
                decision.previousPrimary(),
                decision.reason(),
                decision.against());
        decisions.put(FailoverDecision.KEY, decision);
        context.forward(new Record<>(
                FailoverDecision.KEY, decision, decision.decidedAt().toEpochMilli()));
    }
}
