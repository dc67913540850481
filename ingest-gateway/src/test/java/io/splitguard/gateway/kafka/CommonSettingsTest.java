package io.splitguard.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.topics.TopicCatalog;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The gateway reads the settings every service shares under their shared names. */
class CommonSettingsTest {

    private static Map<String, String> read(Map<String, Object> properties) {
        try (ApplicationContext context = ApplicationContext.builder()
                .properties(properties)
                .deduceEnvironment(false)
                .build()) {
            Environment environment = context.getEnvironment().start();
            return GatewayBeans.commonSettings(environment);
        }
    }

    @Test
    void shouldReadTheTopicLayoutUnderTheNamesTheOtherServicesUse() {
        Map<String, String> settings = read(Map.of(
                "splitguard.topic.prefix",
                "prod.",
                "splitguard.session.partitions",
                24,
                "splitguard.dedup.window",
                "PT72H",
                "splitguard.replication.factor",
                3,
                "splitguard.min.insync.replicas",
                2,
                // the gateway's own names of the past no longer count
                "splitguard.topics.prefix",
                "stale."));

        TopicCatalog catalog = TopicCatalog.forService(settings);

        assertThat(settings).containsEntry(CommonSettings.TOPIC_PREFIX, "prod.");
        assertThat(catalog.mutationsIn.name()).isEqualTo("prod.mutations-in");
        assertThat(catalog.sessionPartitions()).isEqualTo(24);
        assertThat(catalog.dedupWindow()).isEqualTo(Duration.ofHours(72));
    }

    @Test
    void shouldRefuseToStartBelowReplicationThreeUnlessReducedDurabilityIsAllowed() {
        Map<String, String> single = read(Map.of("splitguard.topic.prefix", "dev."));
        Map<String, String> allowed =
                read(Map.of("splitguard.topic.prefix", "dev.", "splitguard.allow.reduced.durability", true));

        assertThatThrownBy(() -> TopicCatalog.forService(single))
                .hasMessageContaining(CommonSettings.REPLICATION_FACTOR);
        assertThat(TopicCatalog.forService(allowed).replicationFactor()).isEqualTo((short) 1);
    }
}
