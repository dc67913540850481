package io.splitguard.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.splitguard.coordinator.config.CoordinatorConfig;
import io.splitguard.health.HealthSettings;
import io.splitguard.health.RegionSettings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CoordinatorConfigTest {

    @Test
    void shouldUseTheDefaultsWhenNothingIsSet() {
        CoordinatorConfig config = CoordinatorConfig.fromEnv(Map.of());

        assertThat(config.managementPort()).isEqualTo(CoordinatorConfig.DEFAULT_MANAGEMENT_PORT);
        assertThat(config.serviceProbes()).isEmpty();
        assertThat(config.regions().regions()).containsExactly("local");
        assertThat(config.regions().region()).isEqualTo("local");
        assertThat(config.stateDir().getFileName().toString()).isEqualTo("splitguard-coordinator");
        assertThat(config.health()).isEqualTo(HealthSettings.defaults());
    }

    @Test
    void shouldReadTheRegionQuorumAndPortWhenTheyAreSet() {
        CoordinatorConfig config = CoordinatorConfig.fromEnv(Map.of(
                "SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS",
                "kafka-1:9092,kafka-2:9092",
                RegionSettings.REGIONS,
                "region-a, region-b,region-c",
                RegionSettings.REGION,
                "region-b",
                RegionSettings.VOTE_INTERVAL,
                "PT1S",
                RegionSettings.VOTE_MAX_AGE,
                "PT5S",
                CoordinatorConfig.MANAGEMENT_PORT,
                "9090",
                CoordinatorConfig.STATE_DIR,
                "/var/lib/splitguard/state"));

        assertThat(config.bootstrapServers()).isEqualTo("kafka-1:9092,kafka-2:9092");
        assertThat(config.regions().regions()).containsExactly("region-a", "region-b", "region-c");
        assertThat(config.regions().region()).isEqualTo("region-b");
        assertThat(config.regions().initialPrimary()).isEqualTo("region-a");
        assertThat(config.regions().voteInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.regions().majority()).isEqualTo(2);
        assertThat(config.managementPort()).isEqualTo(9090);
        assertThat(config.stateDir()).isEqualTo(Path.of("/var/lib/splitguard/state"));
    }

    @Test
    void shouldPassKafkaClientSettingsToEveryClientWhenTheyAreSet() {
        CoordinatorConfig config = CoordinatorConfig.fromEnv(Map.of(
                "SPLITGUARD_KAFKA_CLIENT_SECURITY_PROTOCOL",
                "SASL_SSL",
                "SPLITGUARD_KAFKA_CLIENT_SASL_MECHANISM",
                "SCRAM-SHA-512",
                "SPLITGUARD_KAFKA_CLIENT_SSL_TRUSTSTORE_LOCATION",
                "/etc/kafka/trust.p12"));

        assertThat(config.clientProperties())
                .containsOnly(
                        Map.entry("security.protocol", "SASL_SSL"),
                        Map.entry("sasl.mechanism", "SCRAM-SHA-512"),
                        Map.entry("ssl.truststore.location", "/etc/kafka/trust.p12"));
        assertThat(CoordinatorConfig.fromEnv(Map.of()).clientProperties()).isEmpty();
    }

    @Test
    void shouldReadServiceProbesInOrderWhenTheyAreNameUrlPairs() {
        CoordinatorConfig config = CoordinatorConfig.fromEnv(Map.of(
                CoordinatorConfig.SERVICE_PROBES,
                "gateway=http://gateway:8080/health/ready, topology=http://topology-1:8081/health/ready"));

        assertThat(config.serviceProbes())
                .containsExactly(
                        Map.entry("gateway", URI.create("http://gateway:8080/health/ready")),
                        Map.entry("topology", URI.create("http://topology-1:8081/health/ready")));
        assertThat(List.copyOf(config.serviceProbes().keySet())).containsExactly("gateway", "topology");
    }

    @Test
    void shouldRefuseToStartWhenAServiceProbeIsNoHttpUrl() {
        assertThatThrownBy(() -> CoordinatorConfig.fromEnv(
                        Map.of(CoordinatorConfig.SERVICE_PROBES, "gateway=ftp://gateway/health/ready")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(CoordinatorConfig.SERVICE_PROBES);
    }

    @Test
    void shouldRefuseToStartWhenTheRegionIsNotConfigured() {
        assertThatThrownBy(() -> CoordinatorConfig.fromEnv(
                        Map.of(RegionSettings.REGIONS, "region-a,region-b", RegionSettings.REGION, "region-z")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("region-z");
    }

    @Test
    void shouldRefuseToStartWhenTheManagementPortIsOutOfRange() {
        assertThatThrownBy(() -> CoordinatorConfig.fromEnv(Map.of(CoordinatorConfig.MANAGEMENT_PORT, "70000")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(CoordinatorConfig.MANAGEMENT_PORT);
    }

    @Test
    void shouldDefineTheHealthAndRegionSettingsWhenItDefinesItsOwn() {
        assertThat(CoordinatorConfig.DEFINITION.names())
                .containsAll(HealthSettings.DEFINITION.names())
                .contains(
                        "SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS",
                        CoordinatorConfig.MANAGEMENT_PORT,
                        CoordinatorConfig.SERVICE_PROBES,
                        CoordinatorConfig.STATE_DIR);
    }
}
