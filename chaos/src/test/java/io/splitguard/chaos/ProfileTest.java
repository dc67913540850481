package io.splitguard.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.splitguard.chaos.faults.FaultKind;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProfileTest {

    @Test
    void shouldRunEveryKindInTheLongProfileAndKeepTheShortOneAsItWas() {
        assertThat(Profile.full().kinds())
                .containsExactly(FaultKind.values())
                .contains(FaultKind.GATEWAY_CLOCK_SKEW, FaultKind.TOPOLOGY_STATE_DIR_FULL);
        assertThat(Profile.quick().kinds())
                .containsExactly(
                        FaultKind.KILL_TOPOLOGY,
                        FaultKind.KILL_SINK_AFTER_COMMIT,
                        FaultKind.KILL_BROKER,
                        FaultKind.PAUSE_TOPOLOGY,
                        FaultKind.STOP_POSTGRES);
        assertThat(Profile.quick().gatewayCacheMaxEntries()).isEqualTo(Profile.PRODUCT_DEFAULT);
    }

    @Test
    void shouldGiveTheLongProfileAGatewayCacheFarSmallerThanTheKeysItWrites() {
        Profile full = Profile.full();
        double keysWritten = full.eventsPerSecond()
                * (full.warmUp().toSeconds() + full.faultPhase().toSeconds());

        assertThat(full.gatewayCacheMaxEntries()).isPositive().isLessThan((long) (keysWritten / 10));
    }

    @Test
    void shouldDrawFromTheKindsAskedForAndKeepEverythingElse() {
        Profile full = Profile.full();

        Profile some =
                full.withKinds(Profile.parseKinds(" gateway_clock_skew,TOPOLOGY_STATE_DIR_FULL,GATEWAY_CLOCK_SKEW "));

        assertThat(some.kinds()).containsExactly(FaultKind.GATEWAY_CLOCK_SKEW, FaultKind.TOPOLOGY_STATE_DIR_FULL);
        assertThat(some.uses(FaultKind.KILL_BROKER)).isFalse();
        assertThat(some).usingRecursiveComparison().ignoringFields("kinds").isEqualTo(full);
    }

    @Test
    void shouldRefuseUnknownOrNoKinds() {
        assertThatThrownBy(() -> Profile.parseKinds("KILL_BROKER,CLOCK"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown fault kind CLOCK");
        assertThatThrownBy(() -> Profile.parseKinds(" , ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Profile.full().withKinds(List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
