package io.splitguard.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ChaosPreconditionsTest {

    @Test
    void shouldNameWhatIsMissing() {
        assertThat(ChaosPreconditions.missing(OptionalLong.of(1000), true))
                .hasValueSatisfying(m -> assertThat(m).contains("root", "uid 1000"));
        assertThat(ChaosPreconditions.missing(OptionalLong.of(0), false))
                .hasValueSatisfying(m -> assertThat(m).contains("iproute2").doesNotContain("root"));
        assertThat(ChaosPreconditions.missing(OptionalLong.empty(), false))
                .hasValueSatisfying(m -> assertThat(m).contains("root", "iproute2"));
        assertThat(ChaosPreconditions.missing(OptionalLong.of(0), true)).isEmpty();
    }

    @Test
    void shouldReadTheEffectiveUidOfThisProcess() {
        // on Linux the file exists; elsewhere the chaos tests are skipped anyway
        OptionalLong uid = ChaosPreconditions.effectiveUid();

        uid.ifPresent(u -> assertThat(u).isNotNegative());
    }
}
