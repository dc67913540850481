package io.splitguard.chaos.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.chaos.workload.Op;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CheckerTest {

    private static Op op(String key, String session, String hash, String result) {
        return new Op(1, "c", "write", key, session, hash, 0, 1, result, Op.OK.equals(result) ? 200 : 503, "");
    }

    private static final List<Op> HISTORY = List.of(
            op("k1", "s1", "h1", Op.OK),
            op("k2", "s1", "h2", Op.OK),
            op("k3", "s2", "h3", Op.INFO),
            op("k4", "s2", "h4", Op.INFO));

    private static Observed consistent() {
        return new Observed(
                List.of(
                        new Observed.Row("k1", "s1", 1, "h1", 0),
                        new Observed.Row("k2", "s1", 2, "h2", 0),
                        new Observed.Row("k3", "s2", 1, "h3", 0)),
                List.of(
                        new Observed.Applied("k1", "s1", 1, "h1"),
                        new Observed.Applied("k2", "s1", 2, "h2"),
                        new Observed.Applied("k3", "s2", 1, "h3")));
    }

    @Test
    void shouldAcceptAConsistentOutcomeWithIndeterminateKeysPresentOrNot() {
        CheckResult result = Checker.check(HISTORY, consistent());

        assertThat(result.valid()).isTrue();
        assertThat(result.counts())
                .containsEntry("keys_indeterminate", 2L)
                .containsEntry("keys_indeterminate_present", 1L);
    }

    @Test
    void shouldReportLostAcknowledgedKey() {
        Observed o = consistent();
        List<Observed.Row> rows = new ArrayList<>(o.rows());
        rows.remove(1);
        List<Observed.Applied> applied = new ArrayList<>(o.committed());
        applied.remove(1);

        CheckResult result = Checker.check(HISTORY, new Observed(rows, applied));

        assertThat(result.valid()).isFalse();
        assertThat(result.counts()).containsEntry("lost", 1L);
    }

    @Test
    void shouldReportKeyAppliedTwiceEvenWhenTheDatabaseHidesIt() {
        Observed o = consistent();
        List<Observed.Applied> applied = new ArrayList<>(o.committed());
        applied.add(new Observed.Applied("k1", "s1", 3, "h1"));

        CheckResult result = Checker.check(HISTORY, new Observed(o.rows(), applied));

        assertThat(result.counts()).containsEntry("applied_twice_on_topic", 1L);
        assertThat(result.valid()).isFalse();
    }

    @Test
    void shouldReportPhantomsGapsAndAbortedRecords() {
        List<Observed.Row> rows = new ArrayList<>(consistent().rows());
        rows.add(new Observed.Row("never-sent", "s3", 1, "hx", 0));
        rows.add(new Observed.Row("k4", "s2", 3, "h4", 0));

        CheckResult result =
                Checker.check(HISTORY, new Observed(rows, consistent().committed()));

        assertThat(result.counts())
                .containsEntry("phantom_rows", 1L)
                .containsEntry("sequence_gap_database", 1L)
                .containsEntry("in_database_but_not_committed", 2L);
    }
}
