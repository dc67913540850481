package io.splitguard.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RegionSettingsTest {

    @Test
    void shouldBeOneLocalRegionPrimaryOfItselfWhenNothingIsSet() {
        RegionSettings settings = RegionSettings.defaults();

        assertThat(settings.regions()).containsExactly("local");
        assertThat(settings.region()).isEqualTo("local");
        assertThat(settings.initialPrimary()).isEqualTo("local");
        assertThat(settings.majority()).isEqualTo(1);
        assertThat(settings.voteMaxAge()).isGreaterThan(settings.voteInterval());
    }

    @Test
    void shouldReadTheRegionsAndDefaultToTheFirstWhenRegionAndPrimaryAreBlank() {
        RegionSettings settings = RegionSettings.fromEnv(
                Map.of(RegionSettings.REGIONS, "us-east, eu-west ,ap-south", RegionSettings.VOTE_MAX_AGE, "PT30S"));

        assertThat(settings.regions()).containsExactly("us-east", "eu-west", "ap-south");
        assertThat(settings.region()).isEqualTo("us-east");
        assertThat(settings.initialPrimary()).isEqualTo("us-east");
        assertThat(settings.majority()).isEqualTo(2);
        assertThat(settings.voteMaxAge()).isEqualTo(Duration.ofSeconds(30));
        assertThat(new RegionSettings(
                                List.of("a", "b", "c", "d"),
                                "b",
                                "c",
                                Duration.ofSeconds(1),
                                Duration.ofSeconds(5),
                                "q")
                        .majority())
                .as("a strict majority of four is three")
                .isEqualTo(3);
    }

    @Test
    void shouldRefuseToStartWhenTheRegionsAreInconsistent() {
        assertThatThrownBy(() -> RegionSettings.fromEnv(Map.of(RegionSettings.REGIONS, "a,b,a")))
                .hasMessageContaining("twice");
        assertThatThrownBy(
                        () -> RegionSettings.fromEnv(Map.of(RegionSettings.REGIONS, "a,b", RegionSettings.REGION, "c")))
                .hasMessageContaining(RegionSettings.REGION);
        assertThatThrownBy(() -> RegionSettings.fromEnv(
                        Map.of(RegionSettings.REGIONS, "a,b", RegionSettings.INITIAL_PRIMARY, "z")))
                .hasMessageContaining(RegionSettings.INITIAL_PRIMARY);
        assertThatThrownBy(() -> RegionSettings.fromEnv(Map.of(RegionSettings.REGIONS, "US East")))
                .hasMessageContaining(RegionSettings.REGIONS);
        assertThatThrownBy(() -> RegionSettings.fromEnv(
                        Map.of(RegionSettings.VOTE_INTERVAL, "PT10S", RegionSettings.VOTE_MAX_AGE, "PT5S")))
                .hasMessageContaining(RegionSettings.VOTE_MAX_AGE);
    }
}
