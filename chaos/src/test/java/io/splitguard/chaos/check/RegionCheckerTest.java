package io.splitguard.chaos.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.schemas.model.FailoverDecision;
import io.splitguard.schemas.model.RegionVote;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RegionCheckerTest {

    private static final List<String> REGIONS = List.of("r1", "r2", "r3");
    private static final long MAX_AGE = 6_000;
    private static final long T0 = 1_000_000;

    private final List<RegionFinal.Vote> votes = new ArrayList<>();
    private final List<RegionFinal.Decision> decisions = new ArrayList<>();

    private void vote(long at, String region, boolean healthy, String primary, long epoch, boolean primaryHealthy) {
        votes.add(new RegionFinal.Vote(
                votes.size(),
                at,
                new RegionVote(
                        region,
                        healthy,
                        healthy ? "healthy" : "unhealthy",
                        primary,
                        epoch,
                        primaryHealthy,
                        Instant.ofEpochMilli(at))));
    }

    private void decide(long at, long epoch, String primary, String previous, String reason, List<String> against) {
        decisions.add(new RegionFinal.Decision(
                decisions.size(),
                at,
                new FailoverDecision(epoch, primary, previous, reason, against, REGIONS, Instant.ofEpochMilli(at))));
    }

    /** Epoch 1 for r1, every region voting healthy; then r1 goes silent and r2, r3 vote it unhealthy. */
    private void failoverFromR1ToR2() {
        decide(T0, 1, "r1", null, FailoverDecision.REASON_INITIAL, List.of());
        for (String r : REGIONS) {
            vote(T0 + 100, r, true, "r1", 1, true);
        }
        vote(T0 + 5_000, "r2", true, "r1", 1, false);
        vote(T0 + 5_100, "r3", true, "r1", 1, false);
        decide(T0 + 5_200, 2, "r2", "r1", FailoverDecision.REASON_MAJORITY, List.of("r2", "r3"));
    }

    private RegionChecker.Result check() {
        return RegionChecker.check(new RegionFinal(REGIONS, MAX_AGE, votes, decisions, List.of()));
    }

    @Test
    void shouldPassAFailoverDecidedByAFreshMajority() {
        failoverFromR1ToR2();

        RegionChecker.Result result = check();

        assertThat(result.valid()).as("%s", result).isTrue();
        assertThat(result.counts())
                .containsEntry("region_failovers", 1L)
                .containsEntry("region_last_epoch", 2L)
                .containsEntry("region_votes_r1", 1L);
        assertThat(result.counts()).containsKeys(RegionChecker.RULES.toArray(String[]::new));
    }

    @Test
    void shouldFlagTwoPrimariesInOneEpoch() {
        failoverFromR1ToR2();
        decide(T0 + 5_300, 2, "r3", "r1", FailoverDecision.REASON_MAJORITY, List.of("r2", "r3"));

        RegionChecker.Result result = check();

        assertThat(result.violations()).containsKey("region_two_primaries_in_epoch");
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldFlagAnEpochThatSkipsOrGoesBack() {
        failoverFromR1ToR2();
        decide(T0 + 5_400, 4, "r3", "r2", FailoverDecision.REASON_MAJORITY, List.of("r1", "r3"));

        assertThat(check().violations()).containsKey("region_epoch_not_consecutive");
    }

    @Test
    void shouldCountAnIdenticalRewrittenDecisionWithoutFlaggingIt() {
        failoverFromR1ToR2();
        decide(T0 + 5_300, 2, "r2", "r1", FailoverDecision.REASON_MAJORITY, List.of("r2", "r3"));

        RegionChecker.Result result = check();

        assertThat(result.valid()).as("%s", result).isTrue();
        assertThat(result.counts()).containsEntry("region_decisions_rewritten", 1L);
    }

    @Test
    void shouldFlagAFailoverDecidedByOneRegionAlone() {
        decide(T0, 1, "r1", null, FailoverDecision.REASON_INITIAL, List.of());
        for (String r : REGIONS) {
            vote(T0 + 100, r, true, "r1", 1, true);
        }
        vote(T0 + 5_000, "r2", true, "r1", 1, false);
        decide(T0 + 5_200, 2, "r2", "r1", FailoverDecision.REASON_MAJORITY, List.of("r2"));

        assertThat(check().violations()).containsKey("region_decision_without_majority");
    }

    @Test
    void shouldFlagAMajorityNamedWithoutFreshVotesBehindIt() {
        decide(T0, 1, "r1", null, FailoverDecision.REASON_INITIAL, List.of());
        for (String r : REGIONS) {
            vote(T0 + 100, r, true, "r1", 1, true);
        }
        // r3 said r1 was unhealthy, but longer ago than the max age: it must not count
        vote(T0 + 200, "r3", true, "r1", 1, false);
        vote(T0 + 9_000, "r2", true, "r1", 1, false);
        decide(T0 + 9_100, 2, "r2", "r1", FailoverDecision.REASON_MAJORITY, List.of("r2", "r3"));

        RegionChecker.Result result = check();

        assertThat(result.violations().get("region_decision_without_majority"))
                .singleElement()
                .asString()
                .contains("no vote of r3");
    }

    @Test
    void shouldNotCountAVoteAboutAnEarlierEpoch() {
        failoverFromR1ToR2();
        // votes against r2 that still name epoch 1's primary say nothing about epoch 2
        vote(T0 + 8_000, "r1", true, "r1", 1, false);
        vote(T0 + 8_100, "r3", true, "r1", 1, false);
        decide(T0 + 8_200, 3, "r1", "r2", FailoverDecision.REASON_MAJORITY, List.of("r1", "r3"));

        assertThat(check().violations()).containsKey("region_decision_without_majority");
    }

    @Test
    void shouldFlagPromotingARegionThatDidNotSayItWasHealthy() {
        decide(T0, 1, "r1", null, FailoverDecision.REASON_INITIAL, List.of());
        vote(T0 + 100, "r1", true, "r1", 1, true);
        vote(T0 + 5_000, "r2", false, "r1", 1, false);
        vote(T0 + 5_100, "r3", true, "r1", 1, false);
        decide(T0 + 5_200, 2, "r2", "r1", FailoverDecision.REASON_MAJORITY, List.of("r2", "r3"));

        assertThat(check().violations()).containsKey("region_primary_not_healthy");
    }

    @Test
    void shouldFlagAPreviousPrimaryThatIsNotTheLastDecisionsPrimary() {
        failoverFromR1ToR2();
        vote(T0 + 8_000, "r1", true, "r2", 2, false);
        vote(T0 + 8_100, "r3", true, "r2", 2, false);
        decide(T0 + 8_200, 3, "r1", "r3", FailoverDecision.REASON_MAJORITY, List.of("r1", "r3"));

        assertThat(check().violations()).containsKey("region_previous_primary_differs");
    }

    @Test
    void shouldRefuseToPassWhenNothingWasDecidedOrARegionNeverVoted() {
        RegionChecker.Result empty = check();
        assertThat(empty.harnessErrors()).anySatisfy(e -> assertThat(e).contains("no failover decision"));
        assertThat(empty.valid()).isFalse();

        decide(T0, 1, "r1", null, FailoverDecision.REASON_INITIAL, List.of());
        vote(T0 + 100, "r1", true, "r1", 1, true);
        vote(T0 + 100, "r2", true, "r1", 1, true);

        RegionChecker.Result silent = check();
        assertThat(silent.harnessErrors()).singleElement().asString().contains("r3 never voted");
        assertThat(silent.valid()).isFalse();
    }

    @Test
    void shouldFlagARegionThatIsNotConfigured() {
        failoverFromR1ToR2();
        vote(T0 + 6_000, "r9", true, "r2", 2, true);

        assertThat(check().violations()).containsKey("region_unknown_region");
    }
}
