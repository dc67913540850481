package io.splitguard.chaos.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.splitguard.chaos.Profile;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class FaultScheduleTest {

    private static List<Fault> schedule(Profile p, long seed) {
        return FaultSchedule.generate(seed, p.kinds(), p.faultPhase(), p.minGap(), p.maxGap(), p.faultScale(), 2, 3);
    }

    @Test
    void shouldGiveTheSameFaultsForTheSameSeedIncludingClockOffsets() {
        Profile full = Profile.full();

        assertThat(schedule(full, 2000)).isEqualTo(schedule(full, 2000)).isNotEqualTo(schedule(full, 2001));
    }

    @Test
    void shouldScheduleEveryKindOfTheLongProfileWhateverTheSeed() {
        Profile full = Profile.full();

        LongStream.range(2000, 2050).forEach(seed -> assertThat(schedule(full, seed))
                .as("seed %d", seed)
                .extracting(Fault::kind)
                .contains(FaultKind.values()));
    }

    @Test
    void shouldGiveOnlyClockSkewFaultsAClockOffsetDrawnFromTheCatalog() {
        Profile skewOnly = Profile.full().withKinds(List.of(FaultKind.GATEWAY_CLOCK_SKEW, FaultKind.KILL_GATEWAY));
        List<Fault> faults = LongStream.range(0, 20)
                .boxed()
                .flatMap(seed -> schedule(skewOnly, seed).stream())
                .toList();

        assertThat(faults)
                .filteredOn(f -> f.kind() == FaultKind.GATEWAY_CLOCK_SKEW)
                .allSatisfy(f -> {
                    assertThat(FaultSchedule.CLOCK_OFFSETS).contains(f.clockOffset());
                    assertThat(f.target()).isBetween(0, 1);
                    assertThat(f.duration()).isEqualTo(Duration.ofSeconds(40));
                });
        assertThat(faults)
                .filteredOn(f -> f.kind() != FaultKind.GATEWAY_CLOCK_SKEW)
                .isNotEmpty()
                .allSatisfy(f -> assertThat(f.clockOffset()).isZero());
        // over 20 seeds the draw reaches both directions
        Set<Boolean> directions = faults.stream()
                .filter(f -> f.kind() == FaultKind.GATEWAY_CLOCK_SKEW)
                .map(f -> f.clockOffset().isNegative())
                .collect(Collectors.toSet());
        assertThat(directions).containsExactlyInAnyOrder(true, false);
    }

    @Test
    void shouldOfferClockOffsetsFromMinutesToDaysInBothDirections() {
        List<Duration> offsets = FaultSchedule.CLOCK_OFFSETS;

        assertThat(offsets).noneMatch(Duration::isZero);
        assertThat(offsets).anyMatch(d -> d.isNegative() && d.abs().compareTo(Duration.ofHours(1)) < 0);
        assertThat(offsets).anyMatch(d -> !d.isNegative() && d.compareTo(Duration.ofHours(1)) < 0);
        assertThat(offsets).anyMatch(d -> d.compareTo(Duration.ofDays(-1)) <= 0);
        assertThat(offsets).anyMatch(d -> d.compareTo(Duration.ofDays(1)) >= 0);
        assertThat(offsets).allMatch(d -> d.abs().compareTo(FaultSchedule.MAX_CLOCK_OFFSET) <= 0);
        assertThat(offsets).anyMatch(d -> d.abs().equals(FaultSchedule.MAX_CLOCK_OFFSET));
    }

    @Test
    void shouldKeepTheShortProfileFreeOfTheNewKinds() {
        List<Fault> faults = schedule(Profile.quick(), 7);

        assertThat(faults)
                .extracting(Fault::kind)
                .doesNotContain(FaultKind.GATEWAY_CLOCK_SKEW, FaultKind.TOPOLOGY_STATE_DIR_FULL)
                .containsAll(Profile.quick().kinds());
        assertThat(faults).allSatisfy(f -> assertThat(f.clockOffset()).isZero());
    }

    @Test
    void shouldFillAStateDirectoryForHalfAMinuteAtFullScale() {
        List<Fault> faults = schedule(Profile.full().withKinds(List.of(FaultKind.TOPOLOGY_STATE_DIR_FULL)), 1);

        assertThat(faults).isNotEmpty().allSatisfy(f -> {
            assertThat(f.duration()).isEqualTo(Duration.ofSeconds(30));
            assertThat(f.target()).isBetween(0, 1);
            assertThat(FaultSchedule.isBrokerFault(f.kind())).isFalse();
        });
    }

    @Test
    void shouldWriteClockOffsetsAsPeopleDoAndRefuseThemOnOtherKinds() {
        assertThat(Fault.offset(Duration.ofHours(-37))).isEqualTo("-1d13h");
        assertThat(Fault.offset(Duration.ofMinutes(10))).isEqualTo("+10m");
        assertThat(Fault.offset(Duration.ofHours(25))).isEqualTo("+1d1h");
        assertThat(Fault.offset(Duration.ZERO)).isEqualTo("+0s");
        assertThat(new Fault(
                                Duration.ofSeconds(5),
                                FaultKind.GATEWAY_CLOCK_SKEW,
                                1,
                                Duration.ofSeconds(40),
                                Duration.ofMinutes(-10))
                        .toString())
                .isEqualTo("+5s GATEWAY_CLOCK_SKEW[1] clock -10m for 40s");
        assertThatThrownBy(() ->
                        new Fault(Duration.ZERO, FaultKind.KILL_GATEWAY, 0, Duration.ofSeconds(5), Duration.ofHours(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
