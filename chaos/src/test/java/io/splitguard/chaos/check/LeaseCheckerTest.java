package io.splitguard.chaos.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.chaos.workload.LeaseOp;
import io.splitguard.chaos.workload.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LeaseCheckerTest {

    private static final String R = "lease-1";
    private static final long TTL = 6_000;
    private static final long STALE = 3_000;
    private static final long LOCK_DELAY = 1_000;

    private static long ids;

    private static LeaseOp grant(String region, String lock, long token, long decidedAt, long overrode) {
        return new LeaseOp(
                ++ids,
                LeaseOp.ACQUIRE,
                region,
                region.endsWith("a") ? 0 : 1,
                R,
                1,
                LeaseOp.CONTEND,
                "c-" + lock,
                lock,
                token,
                null,
                TTL,
                decidedAt - 5,
                decidedAt + 5,
                Op.OK,
                200,
                "granted",
                region,
                decidedAt + TTL,
                -1,
                overrode > 0 ? "region-b" : null,
                overrode,
                "");
    }

    private static LeaseOp conflict(String region, long at) {
        return new LeaseOp(
                ++ids,
                LeaseOp.ACQUIRE,
                region,
                0,
                R,
                1,
                LeaseOp.CONTEND,
                "c",
                null,
                -1,
                null,
                TTL,
                at,
                at + 5,
                Op.FAIL,
                409,
                "conflict",
                "region-b",
                at + 1000,
                1000,
                null,
                -1,
                "");
    }

    private static LeaseOp heartbeat(String lock, long decidedAt) {
        return new LeaseOp(
                ++ids,
                LeaseOp.HEARTBEAT,
                "region-b",
                1,
                R,
                1,
                LeaseOp.HOLD,
                null,
                lock,
                -1,
                null,
                0,
                decidedAt - 5,
                decidedAt + 5,
                Op.OK,
                200,
                "extended",
                "region-b",
                decidedAt + TTL,
                -1,
                null,
                -1,
                "");
    }

    private static LeaseOp release(String lock, long at, int status) {
        return new LeaseOp(
                ++ids,
                LeaseOp.RELEASE,
                "region-a",
                0,
                R,
                1,
                LeaseOp.HOLD,
                null,
                lock,
                -1,
                null,
                0,
                at,
                at + 5,
                status == 200 ? Op.OK : Op.FAIL,
                status,
                status == 200 ? "released" : "not_holder",
                null,
                -1,
                -1,
                null,
                -1,
                "");
    }

    private static LeaseOp write(String key, long token, String phase, int status, String outcome, long at) {
        return new LeaseOp(
                ++ids,
                LeaseOp.WRITE,
                "region-a",
                0,
                R,
                1,
                phase,
                null,
                null,
                token,
                key,
                0,
                at,
                at + 5,
                status == 200 ? Op.OK : Op.FAIL,
                status,
                outcome,
                null,
                -1,
                -1,
                null,
                -1,
                "");
    }

    private static LeaseFinal.Audit audit(long offset, String decision, long sequence, long at) {
        return new LeaseFinal.Audit(1, offset, decision, R, "req-" + offset, null, sequence, at, "");
    }

    private static LeaseFinal.Audit mutation(long offset, String decision, String key, long at) {
        return new LeaseFinal.Audit(
                1, offset, decision, R, "req-" + offset, "7:default|crm.contact.update|7:lease-1|" + key, 1, at, null);
    }

    /**
     * A run that passes: region-a takes the lease (@10), writes k1, releases; region-b takes it (@20) and goes
     * silent; region-a finds it stale and overrides it, gets @30 after the lock-delay; region-b's zombie
     * write with @20 is fenced; region-a releases.
     */
    private static List<LeaseOp> history() {
        return new ArrayList<>(List.of(
                grant("region-a", "L1", 10, 1_000, -1),
                write("k1", 10, LeaseOp.HOLD, 200, "applied", 1_400),
                release("L1", 2_000, 200),
                grant("region-b", "L2", 20, 3_000, -1),
                conflict("region-a", 6_500),
                grant("region-a", "L3", 30, 7_600, 20),
                write("k2", 20, LeaseOp.ZOMBIE, 409, "fenced", 7_650),
                release("L3", 9_000, 200)));
    }

    private static List<LeaseFinal.Audit> audits() {
        return new ArrayList<>(List.of(
                audit(0, LeaseChecker.GRANTED, 10, 1_000),
                mutation(1, LeaseChecker.APPLIED, "k1", 1_500),
                audit(2, LeaseChecker.RELEASED, 10, 2_000),
                audit(3, LeaseChecker.GRANTED, 20, 3_000),
                audit(4, LeaseChecker.OVERRIDDEN, 20, 6_500),
                audit(5, LeaseChecker.GRANTED, 30, 7_600),
                mutation(6, LeaseChecker.FENCED, "k2", 7_700),
                audit(7, LeaseChecker.RELEASED, 30, 9_000)));
    }

    private static List<LeaseFinal.Row> rows() {
        return new ArrayList<>(List.of(new LeaseFinal.Row("k1", R, 1, 1, 10L)));
    }

    private static LeaseChecker.Result check(
            List<LeaseOp> history, List<LeaseFinal.Audit> audits, List<LeaseFinal.Row> rows) {
        return LeaseChecker.check(
                history,
                new LeaseFinal(audits, rows, List.of(), Map.of("stale_fencing_token", 0L), List.of()),
                STALE,
                LOCK_DELAY);
    }

    private static long violations(LeaseChecker.Result result, String rule) {
        return result.counts().get(rule);
    }

    @Test
    void shouldPassWhenLeasesChangeHandsOneAtATimeAndTheZombieIsFenced() {
        LeaseChecker.Result result = check(history(), audits(), rows());

        assertThat(result.violations()).isEmpty();
        assertThat(result.harnessErrors()).isEmpty();
        assertThat(result.valid()).isTrue();
        assertThat(result.counts())
                .containsEntry("lease_grants_compared_audit", 3L)
                .containsEntry("lease_token_pairs_compared", 2L)
                .containsEntry("lease_client_grant_pairs_compared", 3L)
                .containsEntry("lease_grants_found_in_audit", 3L)
                .containsEntry("lease_applied_writes_compared", 1L)
                .containsEntry("lease_rows_compared", 1L)
                .containsEntry("lease_grants_overrode", 1L)
                .containsEntry("lease_audit_lease_overridden", 1L)
                .containsEntry("lease_zombie_writes_fenced_answer", 1L);
        LeaseChecker.RULES.forEach(rule -> assertThat(result.counts()).containsEntry(rule, 0L));
    }

    @Test
    void shouldFailOverlappingGrantsWhenAGrantComesBeforeTheOpenLeaseEnded() {
        List<LeaseFinal.Audit> audits = audits();
        audits.remove(4); // region-b's lease @20 never ended, yet @30 was granted

        LeaseChecker.Result result = check(history(), audits, rows());

        assertThat(result.valid()).isFalse();
        assertThat(violations(result, "lease_overlapping_grants_audit")).isEqualTo(1);
        assertThat(result.violations().get("lease_overlapping_grants_audit").get(0))
                .contains("@30", "@20");
    }

    @Test
    void shouldFailUnmatchedEndWhenALeaseEndsTwice() {
        List<LeaseFinal.Audit> audits = audits();
        audits.add(5, audit(45, LeaseChecker.EXPIRED, 20, 9_000));

        LeaseChecker.Result result = check(history(), audits, rows());

        assertThat(violations(result, "lease_end_unmatched")).isEqualTo(1);
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldFailTokenOrderWhenALaterGrantHasASmallerToken() {
        List<LeaseFinal.Audit> audits = audits();
        audits.set(5, audit(5, LeaseChecker.GRANTED, 15, 7_600));
        audits.set(7, audit(7, LeaseChecker.RELEASED, 15, 9_000));
        List<LeaseOp> history = history();
        history.set(5, grant("region-a", "L3", 15, 7_600, 20));

        LeaseChecker.Result result = check(history, audits, rows());

        assertThat(violations(result, "lease_token_not_increasing")).isEqualTo(1);
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldFailClientOverlapWhenTwoRegionsHoldSurelyValidGrantsAtOnce() {
        // region-b's heartbeat at 5,000 was acknowledged: its lease was surely live until 8,000 (stale
        // threshold), past region-a's grant at 7,600
        List<LeaseOp> history = history();
        history.add(4, heartbeat("L2", 5_000));

        LeaseChecker.Result result = check(history, audits(), rows());

        assertThat(violations(result, "lease_overlapping_grants_client")).isEqualTo(1);
        assertThat(result.violations().get("lease_overlapping_grants_client").get(0))
                .contains("@20", "@30", "400 ms");
    }

    @Test
    void shouldPassClientOverlapWhenTheEarlierGrantCouldHaveGoneStaleFirst() {
        // the same heartbeat 700 ms earlier: stale from 7,300, before the grant at 7,600
        List<LeaseOp> history = history();
        history.add(4, heartbeat("L2", 4_300));

        LeaseChecker.Result result = check(history, audits(), rows());

        assertThat(violations(result, "lease_overlapping_grants_client")).isZero();
        assertThat(result.valid()).isTrue();
    }

    @Test
    void shouldFailGrantNotInAuditWhenAnAnsweredGrantHasNoRecord() {
        List<LeaseOp> history = history();
        history.add(grant("region-b", "L9", 40, 20_000, -1));

        LeaseChecker.Result result = check(history, audits(), rows());

        assertThat(violations(result, "lease_grant_not_in_audit")).isEqualTo(1);
    }

    @Test
    void shouldFailSupersededWriteWhenTheTopologyAppliesAnOldTokenWhileTheNewLeaseIsLive() {
        List<LeaseFinal.Audit> audits = audits();
        audits.set(6, mutation(6, LeaseChecker.APPLIED, "k2", 7_700));
        List<LeaseFinal.Row> rows = rows();
        rows.add(new LeaseFinal.Row("k2", R, 1, 2, 20L));

        LeaseChecker.Result result = check(history(), audits, rows);

        assertThat(violations(result, "lease_superseded_write_applied")).isEqualTo(1);
        assertThat(violations(result, "lease_superseded_write_stored")).isEqualTo(1);
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldFailSupersededWriteWhenAppliedWithinTheLockDelayAfterTheNewLeaseExpired() {
        List<LeaseFinal.Audit> audits = audits();
        audits.set(6, audit(6, LeaseChecker.EXPIRED, 30, 13_600));
        audits.set(7, mutation(7, LeaseChecker.APPLIED, "k2", 14_000));
        List<LeaseOp> history = history();
        history.remove(7);

        LeaseChecker.Result result = check(history, audits, rows());

        assertThat(violations(result, "lease_superseded_write_applied")).isEqualTo(1);
        assertThat(result.violations().get("lease_superseded_write_applied").get(0))
                .contains("lease_expired");
    }

    @Test
    void shouldCountButNotFailAnAppliedOldTokenWhenTheNewLeaseWasReleasedAndNothingWasStored() {
        // by design the topology lets it pass (no lease entry after a release); the sink refused it
        List<LeaseFinal.Audit> audits = audits();
        audits.set(6, mutation(6, LeaseChecker.FENCED, "k0", 7_700));
        audits.add(mutation(8, LeaseChecker.APPLIED, "k2", 9_500));
        List<LeaseOp> history = history();
        history.add(write("k0", 20, LeaseOp.ZOMBIE, 409, "fenced", 7_650));

        LeaseChecker.Result result = check(history, audits, rows());

        assertThat(result.counts()).containsEntry("lease_superseded_applied_without_entry", 1L);
        assertThat(result.observations()).containsKey("lease_superseded_applied_without_entry");
        assertThat(violations(result, "lease_superseded_write_applied")).isZero();
        assertThat(result.valid()).isTrue();
    }

    @Test
    void shouldFailSupersededWriteWhenAppliedAfterTheNewLeaseWasReleasedButWithinTheFenceRetention() {
        // the same history as above, with a topology that keeps a released lease's token for a minute
        List<LeaseFinal.Audit> audits = audits();
        audits.set(6, mutation(6, LeaseChecker.FENCED, "k0", 7_700));
        audits.add(mutation(8, LeaseChecker.APPLIED, "k2", 9_500));
        List<LeaseOp> history = history();
        history.add(write("k0", 20, LeaseOp.ZOMBIE, 409, "fenced", 7_650));

        LeaseChecker.Result result = LeaseChecker.check(
                history,
                new LeaseFinal(audits, rows(), List.of(), Map.of("stale_fencing_token", 0L), List.of()),
                STALE,
                LOCK_DELAY,
                60_000);

        assertThat(violations(result, "lease_superseded_write_applied")).isEqualTo(1);
        assertThat(result.counts()).containsEntry("lease_superseded_applied_without_entry", 0L);
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldFailSupersededStoredWhenTheCrmHoldsAnOldTokenWrittenAfterTheNewLeaseWasReleased() {
        List<LeaseFinal.Audit> audits = audits();
        audits.set(6, mutation(6, LeaseChecker.FENCED, "k0", 7_700));
        audits.add(mutation(8, LeaseChecker.APPLIED, "k2", 9_500));
        List<LeaseOp> history = history();
        history.add(write("k0", 20, LeaseOp.ZOMBIE, 409, "fenced", 7_650));
        List<LeaseFinal.Row> rows = rows();
        rows.add(new LeaseFinal.Row("k2", R, 1, 2, 20L));

        LeaseChecker.Result result = check(history, audits, rows);

        assertThat(violations(result, "lease_superseded_write_stored")).isEqualTo(1);
        assertThat(violations(result, "lease_superseded_write_applied")).isZero();
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldFailRowTokenRegressedWhenALaterSequenceCarriesAnOlderToken() {
        List<LeaseOp> history = history();
        history.add(write("k3", 30, LeaseOp.HOLD, 200, "applied", 8_000));
        List<LeaseFinal.Audit> audits = audits();
        audits.add(7, mutation(65, LeaseChecker.APPLIED, "k3", 8_000));
        List<LeaseFinal.Row> rows =
                List.of(new LeaseFinal.Row("k3", R, 1, 1, 30L), new LeaseFinal.Row("k1", R, 1, 2, 10L));

        LeaseChecker.Result result = check(history, audits, rows);

        assertThat(violations(result, "lease_row_token_regressed")).isEqualTo(1);
    }

    @Test
    void shouldFailRowTokenDiffersWhenARowCarriesAnotherTokenThanItsKeyWasSentWith() {
        LeaseChecker.Result result = check(history(), audits(), List.of(new LeaseFinal.Row("k1", R, 1, 1, 11L)));

        assertThat(violations(result, "lease_row_token_differs")).isEqualTo(1);
    }

    @Test
    void shouldFailUnknownKeyWhenARowHasAKeyTheWorkloadNeverSent() {
        List<LeaseFinal.Row> rows = rows();
        rows.add(new LeaseFinal.Row("zz", R, 1, 2, 30L));

        LeaseChecker.Result result = check(history(), audits(), rows);

        assertThat(violations(result, "lease_row_unknown_key")).isEqualTo(1);
    }

    @Test
    void shouldFailFencedStoredWhenAKeyOnlyEverFencedHasARow() {
        List<LeaseFinal.Row> rows = rows();
        rows.add(new LeaseFinal.Row("k2", R, 1, 2, 20L));

        LeaseChecker.Result result = check(history(), audits(), rows);

        assertThat(violations(result, "lease_fenced_write_stored")).isEqualTo(1);
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldReportHarnessErrorsWhenNothingWasGrantedOverriddenFencedOrReleased() {
        LeaseChecker.Result result = check(List.of(conflict("region-a", 1_000)), List.of(), List.of());

        assertThat(result.valid()).isFalse();
        assertThat(result.violations()).isEmpty();
        assertThat(result.harnessErrors())
                .hasSize(4)
                .anySatisfy(e -> assertThat(e).contains("no lease was granted"))
                .anySatisfy(e -> assertThat(e).contains("overridden"))
                .anySatisfy(e -> assertThat(e).contains("fenced"))
                .anySatisfy(e -> assertThat(e).contains("released"));
    }

    @Test
    void shouldReportAHarnessErrorWhenAResourcesAuditIsOnSeveralPartitions() {
        List<LeaseFinal.Audit> audits = audits();
        LeaseFinal.Audit moved = audits.get(2);
        audits.set(
                2,
                new LeaseFinal.Audit(
                        2,
                        moved.offset(),
                        moved.decision(),
                        moved.resource(),
                        moved.requestId(),
                        null,
                        moved.sequence(),
                        moved.atMs(),
                        ""));

        LeaseChecker.Result result = check(history(), audits, rows());

        assertThat(result.harnessErrors()).anySatisfy(e -> assertThat(e).contains("several partitions"));
    }

    @Test
    void shouldFoldLeaseViolationsAndFiguresIntoTheRunsResultWhenMerged() {
        List<LeaseOp> history = history();
        history.add(grant("region-b", "L9", 40, 20_000, -1));
        CheckResult base =
                new CheckResult(true, List.of(), Map.of("keys_acknowledged", 5L), Map.of(), Map.of(), Map.of());

        CheckResult merged = LeaseChecker.merge(base, check(history, audits(), rows()));

        assertThat(merged.valid()).isFalse();
        assertThat(merged.verdict()).isEqualTo(CheckResult.INVALID);
        assertThat(merged.counts())
                .containsEntry("keys_acknowledged", 5L)
                .containsEntry("lease_grant_not_in_audit", 1L);
        assertThat(merged.examples()).containsKey("lease_grant_not_in_audit");
        assertThat(merged.operations()).containsKey(LeaseOp.ACQUIRE);
    }
}
