package io.splitguard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.sink.config.SinkConfig;
import io.splitguard.topology.config.DedupConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigurationDocTest {

    private static final Path DOC = Path.of("..", "docs", "CONFIGURATION.md");

    @Test
    void shouldMatchTheDefinitionsItIsGeneratedFrom() throws Exception {
        String generated = ConfigurationDoc.render();

        assertThat(Files.readString(DOC, StandardCharsets.UTF_8))
                .as("docs/CONFIGURATION.md is stale; regenerate it: ./mvnw -B -q -pl launcher exec:java"
                        + " -Dexec.mainClass=io.splitguard.launcher.ConfigurationDoc"
                        + " -Dexec.args=../docs/CONFIGURATION.md")
                .isEqualTo(generated);
    }

    @Test
    void shouldDocumentEverySettingOfEveryService() {
        String generated = ConfigurationDoc.render();

        for (var definition : new org.apache.kafka.common.config.ConfigDef[] {
            CommonSettings.DEFINITION, DedupConfig.DEFINITION, SinkConfig.DEFINITION, LocalPipeline.DEFINITION
        }) {
            for (String name : definition.names()) {
                assertThat(generated).contains("| `" + name + "` |");
            }
        }
        assertThat(generated)
                .contains("| `SPLITGUARD_GATEWAY_CACHE_MAX_ENTRIES` | `splitguard.gateway.cache-max-entries` | long |"
                        + " `200000` |")
                .contains("`SPLITGUARD_IDEMPOTENCY_LOOKUP_JDBC_URL`")
                .doesNotContain("SPLITGUARD_TOPICS_PREFIX");
    }
}
