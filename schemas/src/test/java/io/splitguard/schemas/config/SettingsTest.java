package io.splitguard.schemas.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {

    @Test
    void shouldTakeDefaultsAndTypedValuesByEnvironmentName() {
        Map<String, Object> defaults = Settings.parse(CommonSettings.DEFINITION, Map.of());
        Map<String, Object> set = Settings.parse(
                CommonSettings.DEFINITION,
                Map.of(
                        CommonSettings.SESSION_PARTITIONS,
                        " 24 ",
                        CommonSettings.DEDUP_WINDOW,
                        "P3D",
                        "UNRELATED",
                        "x"));

        assertThat(defaults.get(CommonSettings.SESSION_PARTITIONS)).isEqualTo(12);
        assertThat(set.get(CommonSettings.SESSION_PARTITIONS)).isEqualTo(24);
        assertThat(Settings.duration(set.get(CommonSettings.DEDUP_WINDOW))).isEqualTo(Duration.ofDays(3));
        assertThat(set).doesNotContainKey("UNRELATED");
    }

    @Test
    void shouldNameTheSettingItsValueAndItsMeaningWhenAValueIsWrong() {
        assertThatThrownBy(() ->
                        Settings.parse(CommonSettings.DEFINITION, Map.of(CommonSettings.SESSION_PARTITIONS, "two")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(CommonSettings.SESSION_PARTITIONS)
                .hasMessageContaining("two")
                .hasMessageContaining("co-partitioned");
        assertThatThrownBy(
                        () -> Settings.parse(CommonSettings.DEFINITION, Map.of(CommonSettings.SESSION_PARTITIONS, "0")))
                .hasMessageContaining(CommonSettings.SESSION_PARTITIONS);
        assertThatThrownBy(() -> Settings.parse(CommonSettings.DEFINITION, Map.of(CommonSettings.DEDUP_WINDOW, "24h")))
                .hasMessageContaining(CommonSettings.DEDUP_WINDOW)
                .hasMessageContaining("ISO-8601");
        assertThatThrownBy(() -> Settings.parse(CommonSettings.DEFINITION, Map.of(CommonSettings.DEDUP_WINDOW, "PT0S")))
                .hasMessageContaining("must be positive");
    }

    @Test
    void shouldKeepTheMutationsTopicForTheReplayHorizonForeverByDefault() {
        io.splitguard.schemas.topics.TopicCatalog unbounded =
                io.splitguard.schemas.topics.TopicCatalog.fromEnv(Map.of());
        io.splitguard.schemas.topics.TopicCatalog bounded =
                io.splitguard.schemas.topics.TopicCatalog.fromEnv(Map.of(CommonSettings.REPLAY_HORIZON, "P30D"));

        assertThat(unbounded.replayHorizon()).isEmpty();
        assertThat(unbounded.mutations.configs()).containsEntry("retention.ms", "-1");
        assertThat(bounded.replayHorizon()).contains(Duration.ofDays(30));
        assertThat(bounded.mutations.configs())
                .containsEntry("retention.ms", Long.toString(Duration.ofDays(30).toMillis()));
        assertThat(bounded.mutationsIn.configs())
                .containsEntry("retention.ms", Long.toString(Duration.ofDays(7).toMillis()));
        assertThatThrownBy(() -> TopicCatalogs.parse("forever"))
                .hasMessageContaining(CommonSettings.REPLAY_HORIZON)
                .hasMessageContaining(CommonSettings.UNBOUNDED);
    }

    private static final class TopicCatalogs {
        static Object parse(String horizon) {
            return Settings.parse(CommonSettings.DEFINITION, Map.of(CommonSettings.REPLAY_HORIZON, horizon));
        }
    }

    @Test
    void shouldReadDurationsAsIsoOrMilliseconds() {
        assertThat(Settings.duration("PT0.5S")).isEqualTo(Duration.ofMillis(500));
        assertThat(Settings.duration("1500")).isEqualTo(Duration.ofMillis(1500));
        assertThatThrownBy(() -> Settings.duration("1.5s")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldPassThroughPrefixedSettingsAsClientPropertyNames() {
        assertThat(Settings.passThrough(
                        Map.of("SPLITGUARD_STREAMS_NUM_STANDBY_REPLICAS", "1", "SPLITGUARD_STREAM_THREADS", "2"),
                        "SPLITGUARD_STREAMS_"))
                .containsExactly(Map.entry("num.standby.replicas", "1"));
    }

    @Test
    void shouldDocumentEverySettingInOneRow() {
        String table = Settings.markdownTable(CommonSettings.DEFINITION);

        assertThat(table.lines().filter(l -> l.startsWith("| `")))
                .hasSize(CommonSettings.DEFINITION.names().size());
        assertThat(table).contains("| `SPLITGUARD_SESSION_PARTITIONS` | int | `12` | [1,...] |");
    }
}
