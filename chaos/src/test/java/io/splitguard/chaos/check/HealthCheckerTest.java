package io.splitguard.chaos.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.chaos.faults.Fault;
import io.splitguard.chaos.faults.FaultKind;
import io.splitguard.chaos.faults.InjectedFault;
import io.splitguard.chaos.workload.HealthWatcher.Sample;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HealthCheckerTest {

    private static final long STOP = 100_000;
    private static final long BACK = STOP + 20_000;
    private static final long TO_503 = 12_000;
    private static final long TO_200 = 60_000;
    private static final List<InjectedFault> FAULTS = List.of(new InjectedFault(
            new Fault(Duration.ofSeconds(60), FaultKind.STOP_POSTGRES, 0, Duration.ofSeconds(20)), STOP, BACK));

    private final List<Sample> samples = new ArrayList<>();

    /** sink-0 answers {@code status} every second from {@code from} (inclusive) to {@code to} (exclusive). */
    private void answers(int status, long from, long to) {
        for (long t = from; t < to; t += 1_000) {
            samples.add(new Sample("sink-0", t, status));
        }
    }

    private HealthChecker.Result check() {
        samples.sort(java.util.Comparator.comparingLong(Sample::atMs));
        return HealthChecker.check(List.of("sink-0"), List.of(), samples, FAULTS, TO_503, TO_200);
    }

    @Test
    void shouldPassWhenTheSinkTurnsUnhealthyInTimeAndComesBack() {
        answers(200, STOP - 10_000, STOP + 6_000);
        answers(503, STOP + 6_000, BACK + 15_000);
        answers(200, BACK + 15_000, BACK + 70_000);

        HealthChecker.Result result = check();

        assertThat(result.valid()).as("%s", result).isTrue();
        assertThat(result.counts())
                .containsEntry("health_database_stopped_worst_ms_to_unhealthy", 6_000L)
                .containsEntry("health_database_stopped_worst_ms_to_healthy", 15_000L)
                .containsEntry("health_database_stopped_checked", 1L);
    }

    @Test
    void shouldFailWhenTheSinkStaysHealthyWithTheDatabaseDown() {
        answers(200, STOP - 10_000, BACK + 70_000);

        assertThat(check().violations()).containsKey("health_not_unhealthy_when_database_stopped");
    }

    @Test
    void shouldFailWhenTheSinkTurnsUnhealthyTooLate() {
        answers(200, STOP - 10_000, STOP + 15_000);
        answers(503, STOP + 15_000, BACK + 5_000);
        answers(200, BACK + 5_000, BACK + 70_000);

        assertThat(check().violations()).containsKey("health_not_unhealthy_when_database_stopped");
    }

    @Test
    void shouldFailWhenTheSinkForgetsTheOutageBeforeTheDatabaseIsBack() {
        answers(200, STOP - 10_000, STOP + 5_000);
        answers(503, STOP + 5_000, STOP + 8_000);
        answers(200, STOP + 8_000, BACK + 70_000);

        assertThat(check().violations()).containsKey("health_healthy_while_database_stopped");
    }

    @Test
    void shouldFailWhenTheSinkNeverComesBack() {
        answers(200, STOP - 10_000, STOP + 5_000);
        answers(503, STOP + 5_000, BACK + 70_000);

        assertThat(check().violations()).containsKey("health_not_healthy_after_database_stopped");
    }

    @Test
    void shouldJudgeACutBrokersCoordinatorAndNotTheOthers() {
        long cut = 200_000;
        long healed = cut + 30_000;
        List<InjectedFault> faults = List.of(new InjectedFault(
                new Fault(Duration.ofSeconds(160), FaultKind.ISOLATE_BROKER, 1, Duration.ofSeconds(30)), cut, healed));
        for (long t = cut - 20_000; t < healed + 70_000; t += 1_000) {
            // coordinator-1's broker is not cut: it stays healthy; coordinator-2's is, and it never says so
            samples.add(new Sample("coordinator-1", t, 200));
            samples.add(new Sample("coordinator-2", t, 200));
        }

        HealthChecker.Result result = HealthChecker.check(
                List.of(), List.of("coordinator-1", "coordinator-2"), samples, faults, TO_503, TO_200);

        assertThat(result.violations().get("health_not_unhealthy_when_broker_cut"))
                .singleElement()
                .asString()
                .startsWith("coordinator-2");
        assertThat(result.counts()).containsEntry("health_broker_cut_checked", 1L);
    }

    @Test
    void shouldRefuseToPassWhenTheTargetWasNeverHealthyOrNeverProbed() {
        answers(503, STOP - 10_000, BACK + 70_000);
        assertThat(check().harnessErrors()).singleElement().asString().contains("never answered /health 200");

        samples.clear();
        assertThat(check().harnessErrors()).singleElement().asString().contains("no /health probe");
    }
}
