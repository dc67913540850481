package io.splitguard.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.chaos.check.CheckResult;
import io.splitguard.chaos.check.Checker;
import io.splitguard.chaos.check.Observed;
import io.splitguard.chaos.check.Recovery;
import io.splitguard.chaos.faults.Fault;
import io.splitguard.chaos.faults.FaultKind;
import io.splitguard.chaos.faults.InjectedFault;
import io.splitguard.chaos.workload.Op;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

    @TempDir
    Path dir;

    private ChaosRun.Result result(List<Op> history, Observed observed) {
        CheckResult check = Checker.check(history, observed, 0.9);
        return new ChaosRun.Result(Profile.quick(), 4242, "abc1234-dirty", check, List.of(), dir, 1_000, List.of());
    }

    private static Op ok(String key) {
        return new Op(1, "c", Op.WRITE, key, "s1", "h-" + key, 0, 1, Op.OK, 200, "", "h-" + key);
    }

    @Test
    void shouldRecordCommitSeedVerdictAndOperationsByKindAndResult() {
        ChaosRun.Result result = result(withNotifications(ok("k1")), observedK1());

        JsonNode json = Report.json(result);
        String md = Report.markdown(result);
        String summary = Report.summary(List.of(result));

        assertThat(json.path("commit").asText()).isEqualTo("abc1234-dirty");
        assertThat(json.path("seed").asLong()).isEqualTo(4242);
        assertThat(json.path("verdict").asText()).isEqualTo("VALID");
        assertThat(json.at("/operations/write/ok").asLong()).isEqualTo(1);
        assertThat(json.at("/counts/acknowledged_body_not_stored").isNumber()).isTrue();
        assertThat(md).contains("VALID", "abc1234-dirty", "4242", "| write | 1 | 0 | 0 |");
        assertThat(summary).contains("abc1234-dirty", "VALID");
    }

    @Test
    void shouldReportTheCheckpointRulesWhenTheRunCheckedCheckpoints() {
        java.util.Map<String, Long> counts = new java.util.TreeMap<>();
        io.splitguard.chaos.check.CheckpointChecker.RULES.forEach(rule -> counts.put(rule, 0L));
        counts.put("checkpoint_regressed", 2L);
        counts.put("checkpoint_reads_answered", 40L);
        CheckResult check = new CheckResult(
                false,
                List.of(),
                counts,
                java.util.Map.of(),
                java.util.Map.of("checkpoint_regressed", List.of("s1")),
                java.util.Map.of());
        ChaosRun.Result result =
                new ChaosRun.Result(Profile.quick(), 7, "abc1234", check, List.of(), dir, 1_000, List.of());

        JsonNode json = Report.json(result);

        assertThat(json.path("checkpoints_checked").asBoolean()).isTrue();
        assertThat(json.at("/checkpoints/checkpoint_regressed").asLong()).isEqualTo(2);
        assertThat(json.at("/checkpoints/checkpoint_reads_answered").asLong()).isEqualTo(40);
        assertThat(Report.markdown(result)).contains("## Checkpoints", "| checkpoint_regressed | 2 |");
        assertThat(Report.summary(List.of(result))).contains("| 40 | 2 |");
    }

    @Test
    void shouldReportTheLeaseFiguresAndRulesWhenTheRunCheckedLeases() {
        java.util.Map<String, Long> counts = new java.util.TreeMap<>();
        io.splitguard.chaos.check.LeaseChecker.RULES.forEach(rule -> counts.put(rule, 0L));
        counts.put("lease_audit_lease_overridden", 12L);
        counts.put("lease_grants_distinct", 90L);
        CheckResult check =
                new CheckResult(true, List.of(), counts, java.util.Map.of(), java.util.Map.of(), java.util.Map.of());
        ChaosRun.Result result =
                new ChaosRun.Result(Profile.quick(), 7, "abc1234", check, List.of(), dir, 1_000, List.of());

        JsonNode json = Report.json(result);

        assertThat(json.path("leases_checked").asBoolean()).isTrue();
        assertThat(json.at("/leases/lease_audit_lease_overridden").asLong()).isEqualTo(12);
        assertThat(json.at("/leases/lease_overlapping_grants_audit").asLong()).isZero();
        assertThat(Report.markdown(result))
                .contains("## Leases", "(`lease_audit_lease_overridden`) | 12 |", "| lease_token_not_increasing | 0 |")
                .doesNotContain("not built");
        assertThat(Report.summary(List.of(result))).contains("| 90 | 0 |");
    }

    @Test
    void shouldSayCheckpointsWereNotCheckedWhenTheRunHadNoCheckpointRules() {
        ChaosRun.Result result = result(withNotifications(ok("k1")), observedK1());

        assertThat(Report.json(result).path("checkpoints_checked").asBoolean()).isFalse();
        assertThat(Report.markdown(result)).contains("were not checked");
    }

    @Test
    void shouldShowWhatTheHarnessSawDuringFaultsAndTheRunSettings() {
        Fault skew = new Fault(
                Duration.ofSeconds(5), FaultKind.GATEWAY_CLOCK_SKEW, 1, Duration.ofSeconds(40), Duration.ofHours(-37));
        Fault full = new Fault(Duration.ofSeconds(60), FaultKind.TOPOLOGY_STATE_DIR_FULL, 0, Duration.ofSeconds(30));
        List<Recovery.Stall> stalls = List.of(
                new Recovery.Stall(new InjectedFault(skew, 1_000, 41_000, "gateway-1 answered 900 requests"), 500, 400),
                new Recovery.Stall(new InjectedFault(full, 60_000, 90_000), 2_000, 1_000));
        ChaosRun.Result result = new ChaosRun.Result(
                Profile.full(),
                1,
                "abc",
                Checker.check(withNotifications(ok("k1")), observedK1(), 0.9),
                stalls,
                dir,
                1_000,
                List.of("gateway answer cache: 1000 entries per instance"));

        JsonNode json = Report.json(result);
        String md = Report.markdown(result);

        assertThat(json.at("/faults/0/clock_offset_s").asLong()).isEqualTo(-37 * 3600);
        assertThat(json.at("/faults/0/note").asText()).isEqualTo("gateway-1 answered 900 requests");
        assertThat(json.at("/faults/1/note").isMissingNode()).isTrue();
        assertThat(json.at("/notes/0").asText()).contains("1000 entries");
        assertThat(md)
                .contains("GATEWAY_CLOCK_SKEW -1d13h |", "+5s GATEWAY_CLOCK_SKEW[1]: gateway-1 answered 900 requests")
                .contains("- gateway answer cache: 1000 entries per instance")
                .doesNotContain("TOPOLOGY_STATE_DIR_FULL[0]:");
        assertThat(Report.summary(List.of(result)))
                .contains("| GATEWAY_CLOCK_SKEW | 1 |", "| TOPOLOGY_STATE_DIR_FULL | 1 |");
    }

    /** k1 and the notification w1 stored, as {@link #withNotifications} sent them. */
    private static Observed observedK1() {
        return new Observed(
                List.of(
                        new Observed.Row("k1", "s1", 0, 1, "h-k1", 0),
                        new Observed.Row("w1", "s1", 0, 2, "h-w1", 0, Op.GENESYS_ROUTE, "topic-w1", "h-w1")),
                List.of(
                        new Observed.Applied("k1", "s1", 0, 1, "h-k1"),
                        new Observed.Applied("w1", "s1", 0, 2, "h-w1", Op.GENESYS_ROUTE)));
    }

    /** {@code crm} and a notification acknowledged (w1) and one with a bad signature refused 401 (f1). */
    private static List<Op> withNotifications(Op... crm) {
        List<Op> history = new java.util.ArrayList<>(List.of(crm));
        history.add(new Op(
                2, "w", Op.WEBHOOK, "w1", "s1", "h-w1", 0, 1, Op.OK, 200, "", "h-w1", Op.GENESYS_ROUTE, "topic-w1"));
        history.add(new Op(
                3, "w", Op.WEBHOOK_FORGED, "f1", "s1", "h-f1", 0, 1, Op.FAIL, 401, "", null, Op.GENESYS_ROUTE, "t"));
        return history;
    }

    @Test
    void shouldShowAHarnessErrorAsSuchAndNotAsAPass() {
        ChaosRun.Result result = result(
                List.of(new Op(1, "c", Op.WRITE, "k1", "s1", "h1", 0, 1, Op.INFO, 503, "", null)),
                new Observed(List.of(), List.of(), List.of("the drain did not settle within 3 minutes")));

        JsonNode json = Report.json(result);
        String md = Report.markdown(result);

        assertThat(json.path("valid").asBoolean()).isFalse();
        assertThat(json.path("verdict").asText()).isEqualTo("HARNESS ERROR");
        assertThat(json.path("harness_errors").toString()).contains("nothing was acknowledged", "drain");
        assertThat(md).contains("HARNESS ERROR", "the drain did not settle");
        assertThat(Report.summary(List.of(result))).contains("HARNESS ERROR");
    }
}
