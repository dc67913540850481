package io.splitguard.chaos.check;

import io.splitguard.schemas.model.FailoverDecision;
import io.splitguard.schemas.model.RegionVote;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The region-quorum checkers: pure functions over the failover-decisions and region-health topics as
 * they stood at the end of a run ({@link RegionFinal}). Both topics have one partition, so offset order is
 * the order the quorum topology wrote decisions and the order votes reached it.
 *
 * <ul>
 *   <li>{@code region_epoch_not_consecutive}: in offset order, each decision's epoch is the previous
 *       one's plus one, and the first is epoch 1 with reason {@code initial} (a rewritten identical
 *       decision is counted, not a violation);
 *   <li>{@code region_two_primaries_in_epoch}: two decisions of one epoch that name different primaries;
 *   <li>{@code region_previous_primary_differs}: a decision's {@code previous_primary} is not the primary
 *       of the decision before it;
 *   <li>{@code region_decision_without_majority}: a {@code majority} decision whose {@code against} is not
 *       a strict majority of distinct configured regions, or in which a region of {@code against} has no
 *       vote on the region-health topic, appended at most the vote max age (plus {@value #TOLERANCE_MS} ms)
 *       before {@code decided_at} and not after it, that says the previous primary (at its epoch) was
 *       unhealthy;
 *   <li>{@code region_primary_not_healthy}: the new primary of a {@code majority} decision has no healthy
 *       vote of its own in that window (a region is promoted only while it says it is healthy);
 *   <li>{@code region_unknown_region}: a decision or vote naming a region that is not configured.
 * </ul>
 *
 * No decision at all, or a configured region that never voted, tests nothing: each is a harness error.
 * Every process of a run shares one machine's clock, so broker append times and {@code decided_at}
 * compare directly; the tolerance only absorbs the rounding of the two.
 */
public final class RegionChecker {

    public static final List<String> RULES = List.of(
            "region_epoch_not_consecutive",
            "region_two_primaries_in_epoch",
            "region_previous_primary_differs",
            "region_decision_without_majority",
            "region_primary_not_healthy",
            "region_unknown_region");

    /** Slack between a vote's append time and a decision's {@code decided_at}, both on this machine's clock. */
    static final long TOLERANCE_MS = 1_000;

    private RegionChecker() {}

    /**
     * @param counts every figure, one per rule among them
     * @param violations every violation found, by rule
     * @param harnessErrors reasons the region part of the run proves nothing
     */
    public record Result(Map<String, Long> counts, Map<String, List<String>> violations, List<String> harnessErrors) {

        public boolean valid() {
            return violations.isEmpty() && harnessErrors.isEmpty();
        }
    }

    public static Result check(RegionFinal end) {
        Map<String, List<String>> violations = new LinkedHashMap<>();
        Map<String, Long> counts = new TreeMap<>();
        Set<String> configured = new HashSet<>(end.regions());

        for (RegionFinal.Vote v : end.votes()) {
            RegionVote vote = v.vote();
            if (!configured.contains(vote.region()) || !configured.contains(vote.primary())) {
                add(violations, "region_unknown_region", "vote at offset " + v.offset() + " " + vote);
            }
        }

        Map<Long, String> primaryOfEpoch = new TreeMap<>();
        FailoverDecision previous = null;
        long failovers = 0;
        long rewritten = 0;
        long votesCompared = 0;
        for (RegionFinal.Decision d : end.decisions()) {
            FailoverDecision decision = d.decision();
            String at = "decision at offset " + d.offset() + " (epoch " + decision.epoch() + ", primary "
                    + decision.primary() + ", " + decision.reason() + ", against " + decision.against() + ")";
            if (!configured.contains(decision.primary())
                    || !configured.containsAll(decision.against())
                    || (decision.previousPrimary() != null && !configured.contains(decision.previousPrimary()))) {
                add(violations, "region_unknown_region", at);
            }
            String earlier = primaryOfEpoch.putIfAbsent(decision.epoch(), decision.primary());
            if (earlier != null && !earlier.equals(decision.primary())) {
                add(
                        violations,
                        "region_two_primaries_in_epoch",
                        at + ": epoch " + decision.epoch() + " already had primary " + earlier);
            }
            if (previous == null) {
                if (decision.epoch() != 1 || !FailoverDecision.REASON_INITIAL.equals(decision.reason())) {
                    add(violations, "region_epoch_not_consecutive", at + ": the first decision is not epoch 1 initial");
                }
            } else if (decision.epoch() == previous.epoch()
                    && decision.primary().equals(previous.primary())) {
                rewritten++;
                continue;
            } else if (decision.epoch() != previous.epoch() + 1) {
                add(violations, "region_epoch_not_consecutive", at + ": after epoch " + previous.epoch());
            } else if (!previous.primary().equals(decision.previousPrimary())) {
                add(
                        violations,
                        "region_previous_primary_differs",
                        at + ": previous primary was " + previous.primary() + ", the decision says "
                                + decision.previousPrimary());
            }
            if (FailoverDecision.REASON_MAJORITY.equals(decision.reason()) && previous != null) {
                failovers++;
                votesCompared += checkMajority(end, decision, previous, at, violations);
            }
            previous = decision;
        }

        counts.put("region_decisions", (long) end.decisions().size());
        counts.put("region_failovers", failovers);
        counts.put("region_decisions_rewritten", rewritten);
        counts.put("region_last_epoch", previous == null ? 0 : previous.epoch());
        counts.put("region_votes", (long) end.votes().size());
        counts.put(
                "region_votes_unhealthy",
                end.votes().stream().filter(v -> !v.vote().healthy()).count());
        counts.put("region_votes_compared", votesCompared);
        for (String region : end.regions()) {
            counts.put(
                    "region_votes_" + region,
                    end.votes().stream()
                            .filter(v -> region.equals(v.vote().region()))
                            .count());
        }
        for (String rule : RULES) {
            counts.put(rule, (long) violations.getOrDefault(rule, List.of()).size());
        }

        List<String> harnessErrors = new ArrayList<>(end.incomplete());
        if (end.decisions().isEmpty()) {
            harnessErrors.add("no failover decision at all (not even epoch 1): the region quorum did not run");
        }
        for (String region : end.regions()) {
            if (counts.get("region_votes_" + region) == 0) {
                harnessErrors.add("region " + region + " never voted: the quorum was not tested with every region");
            }
        }
        return new Result(counts, violations, List.copyOf(harnessErrors));
    }

    /** Checks a majority decision against the votes; returns how many votes were looked at. */
    private static long checkMajority(
            RegionFinal end,
            FailoverDecision decision,
            FailoverDecision previous,
            String at,
            Map<String, List<String>> violations) {
        long decidedAt = decision.decidedAt().toEpochMilli();
        long from = decidedAt - end.voteMaxAgeMs() - TOLERANCE_MS;
        long to = decidedAt + TOLERANCE_MS;
        List<RegionFinal.Vote> window = end.votes().stream()
                .filter(v -> v.appendedMs() >= from && v.appendedMs() <= to)
                .toList();
        Set<String> against = new HashSet<>(decision.against());
        if (against.size() != decision.against().size()
                || against.size() * 2 <= end.regions().size()) {
            add(
                    violations,
                    "region_decision_without_majority",
                    at + ": " + against.size() + " distinct of " + end.regions().size() + " regions");
        }
        for (String region : against) {
            boolean saw = window.stream()
                    .anyMatch(v -> region.equals(v.vote().region())
                            && v.vote().saysUnhealthy(previous.primary(), previous.epoch()));
            if (!saw) {
                add(
                        violations,
                        "region_decision_without_majority",
                        at + ": no vote of " + region
                                + " appended in the " + (end.voteMaxAgeMs() / 1000) + " s before it says "
                                + previous.primary() + " (epoch " + previous.epoch() + ") is unhealthy");
            }
        }
        boolean primaryHealthy = window.stream()
                .anyMatch(v ->
                        decision.primary().equals(v.vote().region()) && v.vote().healthy());
        if (!primaryHealthy) {
            add(
                    violations,
                    "region_primary_not_healthy",
                    at + ": no healthy vote of " + decision.primary() + " in the " + (end.voteMaxAgeMs() / 1000)
                            + " s before it");
        }
        return window.size();
    }

    private static void add(Map<String, List<String>> violations, String rule, String example) {
        violations.computeIfAbsent(rule, k -> new ArrayList<>()).add(example);
    }

    /**
     * The run's result with the region result folded in: counts added, violations (ten examples each)
     * and harness errors appended, valid only if both are.
     */
    public static CheckResult merge(CheckResult base, Result regions) {
        return base.fold(
                regions.valid(), regions.counts(), Map.of(), regions.violations(), Map.of(), regions.harnessErrors());
    }
}
