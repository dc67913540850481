package io.splitguard.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.chaos.check.CheckpointChecker;
import io.splitguard.chaos.check.HealthChecker;
import io.splitguard.chaos.check.LeaseChecker;
import io.splitguard.chaos.check.RegionChecker;
import io.splitguard.chaos.faults.FaultSchedule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short chaos profile: three broker processes, PostgreSQL and two instances of every service,
 * a few faults (topology SIGKILL, sink killed right after a commit, broker SIGKILL, topology
 * SIGSTOP past its session timeout, PostgreSQL stopped), then every invariant checked. The workload
 * includes signed Genesys notifications from both regions and a few with bad signatures; the report is
 * kept in {@code target/chaos-short-it}.
 */
class ChaosShortIT {

    @TempDir
    Path dir;

    @BeforeEach
    void needsRootAndIproute2() {
        ChaosPreconditions.assumeRootAndIproute2();
    }

    @Test
    @Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES) // a whole run with faults: ~4 min here
    void shouldKeepEveryInvariantUnderTheShortFaultSchedule() throws Exception {
        Profile profile = Profile.quick();

        ChaosRun.Result result = new ChaosRun(profile, 7, dir).run();
        Report.write(result);
        // the run directory is temporary: keep the report where the build leaves its results
        Path kept = Files.createDirectories(Path.of("target", "chaos-short-it"));
        Files.copy(dir.resolve("report.md"), kept.resolve("report.md"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(dir.resolve("report.json"), kept.resolve("report.json"), StandardCopyOption.REPLACE_EXISTING);

        assertThat(result.stalls()).hasSizeGreaterThanOrEqualTo(profile.kinds().size());
        assertThat(result.stalls()).anySatisfy(s -> assertThat(
                        FaultSchedule.isBrokerFault(s.injected().fault().kind()))
                .isTrue());
        assertThat(result.commit()).isNotBlank();
        assertThat(result.check().counts().get("keys_acknowledged")).isGreaterThan(1_000L);
        // signed platform notifications from both regions were acknowledged, and bad signatures refused
        assertThat(result.check().counts().get("webhook_keys_acknowledged")).isGreaterThan(100L);
        assertThat(result.check().counts().get("webhook_forged_401")).isPositive();
        // the checkpoint part ran: its rules were counted and reads were compared against acknowledged writes
        assertThat(result.check().counts()).containsKeys(CheckpointChecker.RULES.toArray(String[]::new));
        assertThat(result.check().counts().get("checkpoint_ryw_reads_checked")).isPositive();
        // the lease part ran: its rules were counted, and leases were overridden and writes fenced
        assertThat(result.check().counts()).containsKeys(LeaseChecker.RULES.toArray(String[]::new));
        assertThat(result.check().counts().get("lease_audit_lease_overridden")).isPositive();
        assertThat(result.check().counts().get("lease_audit_fenced")).isPositive();
        // the region quorum ran: three coordinators voted (else a harness error) and epoch 1 was decided
        assertThat(result.check().counts()).containsKeys(RegionChecker.RULES.toArray(String[]::new));
        assertThat(result.check().counts().get("region_last_epoch")).isPositive();
        // the sinks' /health was probed through the database stop: 503 while it was down, 200 after
        assertThat(result.check().counts()).containsKeys(HealthChecker.RULES.toArray(String[]::new));
        assertThat(result.check().counts().get("health_database_stopped_checked"))
                .isPositive();
        // the database had a synchronous streaming standby, and both sinks' health required and saw it
        assertThat(result.check().counts().get("postgres_sync_standby")).isEqualTo(1L);
        assertThat(result.check().counts().get("health_sinks_saw_sync_standby")).isEqualTo(2L);
        assertThat(result.check().harnessErrors()).as(Report.markdown(result)).isEmpty();
        assertThat(result.check().examples()).as(Report.markdown(result)).isEmpty();
        assertThat(result.check().valid()).isTrue();
    }
}
