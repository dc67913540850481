package io.splitguard.schemas.model;

import java.time.Instant;
import java.util.Objects;

/**
 * One region's health vote (value of the compacted region-health topic, key = region id). A region's
 * aggregator publishes one on an interval from its composite health's last evaluation.
 *
 * <p>{@code sentAt} is the voter's own stamp and is informational only: how old a vote is, and so
 * whether it still counts, is judged by its reader from the record's broker append time and the
 * reader's own wall clock, never from this field (a voter with a skewed clock cannot keep its vote
 * alive).
 *
 * @param region the voting region
 * @param healthy whether the voting region's composite health is healthy
 * @param status the composite health status it saw ({@code healthy} or {@code unhealthy})
 * @param primary which region the voter believes is primary (its view of the latest decision)
 * @param epoch the epoch of that view (0: no decision seen yet)
 * @param primaryHealthy whether the voter sees that primary as healthy (the primary's own vote: its own health)
 * @param sentAt when the voter sent it, on the voter's clock (informational)
 */
public record RegionVote(
        String region,
        boolean healthy,
        String status,
        String primary,
        long epoch,
        boolean primaryHealthy,
        Instant sentAt) {

    public RegionVote {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(primary, "primary");
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must not be negative: " + epoch);
        }
    }

    /**
     * Whether this vote says that {@code currentPrimary}, primary since {@code currentEpoch}, is
     * unhealthy: the primary's own vote when it is unhealthy, or another region's vote that names that
     * primary at that epoch (or later) and sees it unhealthy. A vote about an earlier decision says
     * nothing about the current one, even when it names the same region.
     */
    public boolean saysUnhealthy(String currentPrimary, long currentEpoch) {
        if (region.equals(currentPrimary)) {
            return !healthy;
        }
        return primary.equals(currentPrimary) && epoch >= currentEpoch && !primaryHealthy;
    }
}
