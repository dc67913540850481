package io.splitguard.gateway.config;

import io.micronaut.context.env.Environment;
import io.micronaut.core.naming.conventions.StringConvention;
import jakarta.inject.Singleton;
import java.util.HashMap;
import java.util.Map;

/**
 * Pass-through Kafka client properties: everything under {@code splitguard.kafka.client.*} is handed to
 * every Kafka client of the gateway (producer, consumers and admin clients: the place for {@code
 * security.protocol}, {@code ssl.*} and {@code sasl.*}), everything under {@code
 * splitguard.kafka.producer.*} or {@code splitguard.kafka.consumer.*} to that kind of client only, over
 * the common ones (e.g. {@code splitguard.kafka.producer.compression.type=lz4}).
 */
@Singleton
public class ClientProperties {

    private final Environment environment;

    public ClientProperties(Environment environment) {
        this.environment = environment;
    }

    public Map<String, Object> producer() {
        return merged("splitguard.kafka.producer");
    }

    public Map<String, Object> consumer() {
        return merged("splitguard.kafka.consumer");
    }

    /** The settings of the gateway's admin clients (topic bootstrap, the kafka_quorum health check). */
    public Map<String, Object> admin() {
        return read("splitguard.kafka.client");
    }

    private Map<String, Object> merged(String prefix) {
        Map<String, Object> out = new HashMap<>(read("splitguard.kafka.client"));
        out.putAll(read(prefix));
        return out;
    }

    private Map<String, Object> read(String prefix) {
        Map<String, Object> raw = environment.getProperties(prefix, StringConvention.RAW);
        Map<String, Object> out = new HashMap<>();
        raw.forEach((k, v) -> out.put(k, v == null ? null : v.toString()));
        return out;
    }
}
