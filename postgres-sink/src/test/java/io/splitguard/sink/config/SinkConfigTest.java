package io.splitguard.sink.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SinkConfigTest {

    @Test
    void shouldApplyDefaultsWhenOnlyTheDatabaseIsGiven() {
        SinkConfig config = SinkConfig.fromMap(Map.of("DATABASE_URL", "jdbc:postgresql://db:5432/splitguard"));

        assertThat(config.groupId()).isEqualTo("splitguard-postgres-sink");
        assertThat(config.bootstrapServers()).isEqualTo("localhost:9092");
        assertThat(config.jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/splitguard");
        assertThat(config.idempotencyRetention()).isEqualTo(Duration.ofDays(7));
        assertThat(config.maxBatchRecords()).isEqualTo(500);
        assertThat(config.migrateOnStart()).isTrue();
        assertThat(config.consumerProperties()).isEmpty();
        assertThat(config.producerProperties()).isEmpty();
        assertThat(config.poolSize()).isEqualTo(4);
    }

    @Test
    void shouldSetEverySettingFromEnvironmentKeys() {
        SinkConfig config = SinkConfig.fromMap(Map.ofEntries(
                Map.entry("DATABASE_URL", "jdbc:postgresql://db/app"),
                Map.entry("DATABASE_USER", "sink"),
                Map.entry("DATABASE_PASSWORD", "secret"),
                Map.entry("SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092"),
                Map.entry("SPLITGUARD_SINK_GROUP_ID", "crm-sink"),
                Map.entry("SPLITGUARD_SINK_BATCH_MAX_RECORDS", "50"),
                Map.entry("SPLITGUARD_SINK_POLL_TIMEOUT", "250"),
                Map.entry("SPLITGUARD_IDEMPOTENCY_RETENTION", "P3D"),
                Map.entry("SPLITGUARD_SINK_PRUNE_INTERVAL", "pt1m"),
                Map.entry("SPLITGUARD_SINK_PRUNE_BATCH_SIZE", "100"),
                Map.entry("SPLITGUARD_SINK_RETRY_BACKOFF_MAX", "PT2S"),
                Map.entry("SPLITGUARD_SINK_POOL_SIZE", "4"),
                Map.entry("SPLITGUARD_SINK_MIGRATE", "false"),
                Map.entry("SPLITGUARD_SINK_CONSUMER_MAX_POLL_INTERVAL_MS", "60000"),
                Map.entry("SPLITGUARD_SINK_PRODUCER_SECURITY_PROTOCOL", "SSL"),
                Map.entry("UNRELATED", "x")));

        assertThat(config.user()).isEqualTo("sink");
        assertThat(config.password()).isEqualTo("secret");
        assertThat(config.bootstrapServers()).isEqualTo("k1:9092,k2:9092");
        assertThat(config.groupId()).isEqualTo("crm-sink");
        assertThat(config.maxBatchRecords()).isEqualTo(50);
        assertThat(config.pollTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(config.idempotencyRetention()).isEqualTo(Duration.ofDays(3));
        assertThat(config.pruneInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(config.pruneBatchSize()).isEqualTo(100);
        assertThat(config.retryBackoffMax()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.poolSize()).isEqualTo(4);
        assertThat(config.migrateOnStart()).isFalse();
        assertThat(config.consumerProperties()).containsExactly(Map.entry("max.poll.interval.ms", "60000"));
        assertThat(config.producerProperties()).containsExactly(Map.entry("security.protocol", "SSL"));
    }

    @Test
    void shouldTurnPostgresUrlsIntoJdbcUrlsWithTheirCredentials() {
        SinkConfig config = SinkConfig.fromMap(
                Map.of("DATABASE_URL", "postgres://app:p%40ss@db.internal:6543/crm?sslmode=require"));

        assertThat(config.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:6543/crm?sslmode=require");
        assertThat(config.user()).isEqualTo("app");
        assertThat(config.password()).isEqualTo("p@ss");
        assertThat(config.toString()).doesNotContain("p@ss");
    }

    @Test
    void shouldPreferExplicitCredentialsOverTheOnesInTheUrl() {
        SinkConfig config = SinkConfig.fromMap(Map.of(
                "DATABASE_URL", "postgresql://app:pw@db/crm",
                "DATABASE_USER", "other"));

        assertThat(config.jdbcUrl()).isEqualTo("jdbc:postgresql://db/crm");
        assertThat(config.user()).isEqualTo("other");
        assertThat(config.password()).isEqualTo("pw");
    }

    @Test
    void shouldRejectMissingOrInvalidValues() {
        assertThatThrownBy(() -> SinkConfig.fromMap(Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("DATABASE_URL");
        assertThatThrownBy(() -> SinkConfig.fromMap(Map.of("DATABASE_URL", "jdbc:mysql://db/x")))
                .hasMessageContaining("jdbc:postgresql");
        assertThatThrownBy(() -> SinkConfig.fromMap(
                        Map.of("DATABASE_URL", "jdbc:postgresql://db/x", "SPLITGUARD_SINK_POLL_TIMEOUT", "soon")))
                .hasMessageContaining("SPLITGUARD_SINK_POLL_TIMEOUT");
        assertThatThrownBy(() -> SinkConfig.fromMap(
                        Map.of("DATABASE_URL", "jdbc:postgresql://db/x", "SPLITGUARD_SINK_BATCH_MAX_RECORDS", "0")))
                .hasMessageContaining("SPLITGUARD_SINK_BATCH_MAX_RECORDS");
    }

    @Test
    void shouldKeepSecretsOutOfItsLoggedFormWhenTheyComeInTheUrlOrClientProperties() {
        SinkConfig config = SinkConfig.fromMap(Map.of(
                "DATABASE_URL",
                "jdbc:postgresql://db/app?user=app&password=url-secret-1",
                "DATABASE_PASSWORD",
                "env-secret-2",
                "SPLITGUARD_SINK_CONSUMER_SASL_JAAS_CONFIG",
                "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"jaas-secret-3\";",
                "SPLITGUARD_SINK_PRODUCER_SSL_KEY_PASSWORD",
                "ssl-secret-4"));

        String logged = config.toString();

        assertThat(logged)
                .doesNotContain("url-secret-1", "env-secret-2", "jaas-secret-3", "ssl-secret-4")
                .contains("jdbc:postgresql://db/app?(2 parameters)", "sasl.jaas.config");
    }
}
