package io.splitguard.schemas.model;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Which region is primary, from which epoch on (value of the failover-decisions topic, key {@value
 * #KEY}). Epochs increase strictly: each decision's epoch is the previous one's plus one, and one
 * epoch has exactly one primary.
 *
 * @param epoch the decision's epoch, from 1
 * @param primary the region that is primary from this epoch on
 * @param previousPrimary the primary of the previous epoch (null for the first decision)
 * @param reason {@value #REASON_INITIAL} (the configured initial primary) or {@value #REASON_MAJORITY}
 * @param against the regions whose fresh votes said the previous primary was unhealthy (empty for the first)
 * @param regions the configured regions the majority was counted over
 * @param decidedAt when the quorum topology decided it, on the processing instance's wall clock
 */
public record FailoverDecision(
        long epoch,
        String primary,
        String previousPrimary,
        String reason,
        List<String> against,
        List<String> regions,
        Instant decidedAt) {

    /** The one key every decision is written under, so the compacted topic keeps the latest. */
    public static final String KEY = "primary";

    public static final String REASON_INITIAL = "initial";
    public static final String REASON_MAJORITY = "majority";

    public FailoverDecision {
        if (epoch < 1) {
            throw new IllegalArgumentException("epoch must be at least 1: " + epoch);
        }
        Objects.requireNonNull(primary, "primary");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(decidedAt, "decided_at");
        against = against == null ? List.of() : List.copyOf(against);
        regions = regions == null ? List.of() : List.copyOf(regions);
    }
}
