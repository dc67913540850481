package io.splitguard.gateway.config;

import io.micronaut.context.annotation.ConfigurationProperties;

/** {@code splitguard.kafka.*}: where the cluster is. Extra client properties are read by prefix, see {@link ClientProperties}. */
@ConfigurationProperties("splitguard.kafka")
public class KafkaSettings {

    private String bootstrapServers = "localhost:9092";

    /** Kafka bootstrap servers; the common {@code SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS}. */
    public String getBootstrapServers() {
        return bootstrapServers;
    }

    public void setBootstrapServers(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }
}
