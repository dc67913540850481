package io.splitguard.chaos.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.chaos.workload.CheckpointOp;
import io.splitguard.chaos.workload.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CheckpointCheckerTest {

    private static final int TTL = 3600;

    private static String vars(String step) {
        return CheckpointOp.canonical("{\"step\":\"" + step + "\",\"queue\":\"billing\"}");
    }

    private static CheckpointOp write(
            long id, String type, long seq, String step, String result, String position, long at) {
        int status = Op.OK.equals(result) ? 200 : Op.FAIL.equals(result) ? 422 : 503;
        return new CheckpointOp(
                id,
                type,
                "region-a",
                0,
                "s1",
                seq,
                "chk_" + seq,
                vars(step),
                TTL,
                at,
                at + 10,
                result,
                status,
                Op.OK.equals(result) ? position : null,
                0,
                -1,
                null,
                null,
                "");
    }

    private static CheckpointOp read(
            long id, String type, long afterWrite, String position, long seq, String step, long at) {
        boolean restore = seq >= 0;
        return new CheckpointOp(
                id,
                type,
                "region-b",
                1,
                "s1",
                restore ? seq : -1,
                restore ? "chk_" + seq : null,
                restore ? vars(step) : null,
                0,
                at,
                at + 10,
                Op.OK,
                200,
                position,
                afterWrite,
                -1,
                restore,
                restore ? null : "none",
                "");
    }

    private static CheckpointOp unavailable(long id, String type, long afterWrite, String position, long at) {
        return new CheckpointOp(
                id,
                type,
                "region-b",
                1,
                "s1",
                -1,
                null,
                null,
                0,
                at,
                at + 10,
                Op.INFO,
                503,
                position,
                afterWrite,
                -1,
                null,
                null,
                "checkpoint-store-unavailable");
    }

    /** A valid history: two regions, a stale write, an indeterminate write that was stored, and the end state. */
    static final class Case {
        final List<CheckpointOp> history = new ArrayList<>();
        final Map<String, List<CheckpointFinal.Served>> gateways = new HashMap<>();
        final Map<String, CheckpointFinal.Served> rows = new HashMap<>();
        final List<String> incomplete = new ArrayList<>();

        Case() {
            history.add(write(1, CheckpointOp.WRITE, 1, "one", Op.OK, "0:10", 0));
            history.add(write(2, CheckpointOp.WRITE, 2, "two", Op.OK, "0:11", 20));
            history.add(read(3, CheckpointOp.RYW_READ, 2, "0:11", 2, "two", 40));
            history.add(write(4, CheckpointOp.STALE_WRITE, 1, "stale", Op.OK, "0:12", 60));
            history.add(write(5, CheckpointOp.WRITE, 3, "three", Op.INFO, null, 80));
            history.add(unavailable(6, CheckpointOp.READ, 0, null, 90));
            history.add(read(7, CheckpointOp.READ, 0, null, 3, "three", 100));
            history.add(read(8, CheckpointOp.READ, 0, null, 3, "three", 120));
            CheckpointFinal.Served latest = CheckpointFinal.Served.of(3, "chk_3", vars("three"));
            gateways.put("s1", List.of(latest, latest));
            rows.put("s1", latest);
        }

        CheckpointChecker.Result check() {
            return CheckpointChecker.check(history, new CheckpointFinal(gateways, rows, incomplete));
        }
    }

    @Test
    void shouldPassWhenEveryCheckpointInvariantHolds() {
        CheckpointChecker.Result result = new Case().check();

        assertThat(result.violations()).isEmpty();
        assertThat(result.harnessErrors()).isEmpty();
        assertThat(result.valid()).isTrue();
        assertThat(result.counts())
                .containsEntry("checkpoint_ryw_reads_checked", 1L)
                .containsEntry("checkpoint_final_sessions", 1L)
                .containsEntry("checkpoint_stale_writes_acknowledged", 1L)
                .containsEntry("checkpoint_reads_unavailable", 1L);
        assertThat(result.counts().get("checkpoint_read_pairs_checked")).isGreaterThanOrEqualTo(2L);
        assertEveryRuleCounted(result);
    }

    private static void assertEveryRuleCounted(CheckpointChecker.Result result) {
        CheckpointChecker.RULES.forEach(rule -> assertThat(result.counts()).containsEntry(rule, 0L));
    }

    @Test
    void shouldRefuseToPassWhenTheHistoryIsEmpty() {
        CheckpointChecker.Result result =
                CheckpointChecker.check(List.of(), new CheckpointFinal(Map.of(), Map.of(), List.of()));

        assertThat(result.valid()).isFalse();
        assertThat(result.harnessErrors()).anyMatch(e -> e.contains("no checkpoint was written"));
    }

    @Test
    void shouldRefuseToPassWhenNoCheckpointReadHappened() {
        Case c = new Case();
        c.history.removeIf(CheckpointOp::isRead);

        CheckpointChecker.Result result = c.check();

        assertThat(result.valid()).isFalse();
        assertThat(result.harnessErrors())
                .anyMatch(e -> e.contains("no checkpoint read served"))
                .anyMatch(e -> e.contains("no read-your-writes read"));
    }

    @Test
    void shouldRefuseToPassWhenNothingWasAcknowledged() {
        Case c = new Case();
        c.history.replaceAll(o -> o.isWrite() ? write(o.id(), o.type(), o.sequence(), "x", Op.INFO, null, 0) : o);

        assertThat(c.check().harnessErrors()).anyMatch(e -> e.contains("no checkpoint write was acknowledged"));
    }

    @Test
    void shouldReportAHarnessErrorWhenTheEndStateWasNotSeen() {
        Case c = new Case();
        c.incomplete.add("gateway-1 never answered for s1");

        assertThat(c.check().harnessErrors()).contains("gateway-1 never answered for s1");
    }

    @Test
    void shouldFailWhenALaterReadServesAnOlderSequence() {
        Case c = new Case();
        c.history.add(read(9, CheckpointOp.READ, 0, null, 2, "two", 140));

        assertThat(c.check().violations()).containsOnlyKeys("checkpoint_regressed");
    }

    @Test
    void shouldFailWhenALaterReadServesNothingBeforeTheTtlElapsed() {
        Case c = new Case();
        c.history.add(read(9, CheckpointOp.READ, 0, null, -1, null, 140));

        assertThat(c.check().violations()).containsKey("checkpoint_regressed");
    }

    @Test
    void shouldAcceptAnExpiredAnswerWhenTheTtlHasElapsed() {
        Case c = new Case();
        long afterTtl = 80 + TTL * 1000L + 1;
        c.history.add(new CheckpointOp(
                9,
                CheckpointOp.READ,
                "region-b",
                1,
                "s1",
                -1,
                null,
                null,
                0,
                afterTtl,
                afterTtl + 10,
                Op.OK,
                200,
                null,
                0,
                -1,
                false,
                "expired",
                ""));

        assertThat(c.check().violations()).doesNotContainKey("checkpoint_regressed");
    }

    @Test
    void shouldAcceptOverlappingReadsInEitherOrder() {
        Case c = new Case();
        // began before read 3 completed: concurrent with it, so it may see the older state
        c.history.add(read(9, CheckpointOp.READ, 0, null, 2, "two", 45));

        assertThat(c.check().violations()).isEmpty();
    }

    @Test
    void shouldFailWhenAServedCheckpointWasNeverWritten() {
        Case c = new Case();
        c.history.add(read(9, CheckpointOp.READ, 0, null, 3, "forged", 140));

        assertThat(c.check().violations())
                .containsKey("checkpoint_served_unwritten")
                .containsKey("checkpoint_sequence_with_two_contents");
    }

    @Test
    void shouldFailWhenAServedCheckpointWasOnlySentInARefusedWrite() {
        Case c = new Case();
        c.history.add(write(9, CheckpointOp.WRITE, 4, "refused", Op.FAIL, null, 130));
        c.history.add(read(10, CheckpointOp.READ, 0, null, 4, "refused", 140));

        assertThat(c.check().violations()).containsKey("checkpoint_served_refused_write");
    }

    @Test
    void shouldFailWhenAnEqualSequenceFromTheOtherRegionReplacedTheStoredOne() {
        Case c = new Case();
        c.history.add(write(9, CheckpointOp.STALE_WRITE, 3, "other region", Op.OK, "0:13", 130));
        c.history.add(read(10, CheckpointOp.READ, 0, null, 3, "other region", 140));

        assertThat(c.check().violations()).containsOnlyKeys("checkpoint_sequence_with_two_contents");
    }

    @Test
    void shouldFailWhenAReadWithTheWritesPositionServesAnOlderCheckpoint() {
        Case c = new Case();
        c.history.set(2, read(3, CheckpointOp.RYW_READ, 2, "0:11", 1, "one", 40));

        assertThat(c.check().violations()).containsOnlyKeys("checkpoint_read_your_writes");
    }

    @Test
    void shouldFailWhenAReadWithTheWritesPositionServesNothing() {
        Case c = new Case();
        c.history.set(2, read(3, CheckpointOp.RYW_READ, 2, "0:11", -1, null, 40));

        assertThat(c.check().violations()).containsKey("checkpoint_read_your_writes");
    }

    @Test
    void shouldAcceptAnUnavailableAnswerWhenAReadCarriesAPosition() {
        Case c = new Case();
        c.history.add(unavailable(9, CheckpointOp.RYW_READ, 2, "0:11", 35));

        assertThat(c.check().violations()).isEmpty();
    }

    @Test
    void shouldFailWhenTheGatewayEndsBelowTheHighestAcknowledgedSequence() {
        Case c = new Case();
        c.history.add(write(9, CheckpointOp.WRITE, 4, "four", Op.OK, "0:14", 130));

        assertThat(c.check().violations())
                .containsKey("checkpoint_final_gateway")
                .containsKey("checkpoint_final_database");
    }

    @Test
    void shouldFailWhenTheDatabaseHasNoRowForAnAcknowledgedSession() {
        Case c = new Case();
        c.rows.clear();

        assertThat(c.check().violations())
                .containsKey("checkpoint_final_database")
                .containsKey("checkpoint_final_database_differs");
    }

    @Test
    void shouldFailWhenTheDatabaseDiffersFromWhatTheGatewayServes() {
        Case c = new Case();
        c.history.add(write(9, CheckpointOp.WRITE, 4, "four", Op.INFO, null, 130));
        c.rows.put("s1", CheckpointFinal.Served.of(4, "chk_4", vars("four")));

        assertThat(c.check().violations()).containsOnlyKeys("checkpoint_final_database_differs");
    }

    @Test
    void shouldMarkTheMergedResultInvalidWhenOnlyACheckpointRuleFailed() {
        Case c = new Case();
        c.history.add(read(9, CheckpointOp.READ, 0, null, 2, "two", 140));
        CheckResult base = new CheckResult(true, List.of(), Map.of("lost", 0L), Map.of(), Map.of(), Map.of());

        CheckResult merged = CheckpointChecker.merge(base, c.check());

        assertThat(merged.valid()).isFalse();
        assertThat(merged.verdict()).isEqualTo(CheckResult.INVALID);
        assertThat(merged.examples()).containsKey("checkpoint_regressed");
        assertThat(merged.counts()).containsEntry("lost", 0L).containsEntry("checkpoint_regressed", 1L);
        assertThat(merged.operations()).containsKey(CheckpointOp.RYW_READ);
    }
}
