package io.splitguard.chaos.check;

import io.splitguard.schemas.model.FailoverDecision;
import io.splitguard.schemas.model.RegionVote;
import java.util.List;

/**
 * What the region topics held at the end of a run, as a read-committed reader sees them in offset order
 * (each topic has one partition).
 *
 * @param regions the configured regions, in order
 * @param voteMaxAgeMs the coordinators' {@code SPLITGUARD_REGION_VOTE_MAX_AGE}
 * @param votes every record of the region-health topic
 * @param decisions every record of the failover-decisions topic
 * @param incomplete why this observation may not be final (a topic not read to its end, unreadable
 *     records, a coordinator that exited); empty when everything was read
 */
public record RegionFinal(
        List<String> regions, long voteMaxAgeMs, List<Vote> votes, List<Decision> decisions, List<String> incomplete) {

    public RegionFinal {
        regions = List.copyOf(regions);
        votes = List.copyOf(votes);
        decisions = List.copyOf(decisions);
        incomplete = List.copyOf(incomplete);
    }

    /** A vote and its broker append time (the topic stamps {@code LogAppendTime}). */
    public record Vote(long offset, long appendedMs, RegionVote vote) {}

    /** A decision and its offset. */
    public record Decision(long offset, long timestampMs, FailoverDecision decision) {}
}
