package io.splitguard.gateway.config;

import io.micronaut.context.env.Environment;
import io.micronaut.core.naming.conventions.StringConvention;
import jakarta.inject.Singleton;
import java.util.HashMap;
import java.util.Map;

/**
 * Pass-through Kafka client properties: everything under {@code splitguard.kafka.producer.*} or
 * {@code splitguard.kafka.consumer.*} is handed to the client unchanged (e.g.
 * {@code splitguard.kafka.producer.compression.type=lz4}).
 */
@Singleton
public class ClientProperties {

    private final Environment environment;

    public ClientProperties(Environment environment) {
        this.environment = environment;
    }

    public Map<String, Object> producer() {
        return read("splitguard.kafka.producer");
    }

    public Map<String, Object> consumer() {
        return read("splitguard.kafka.consumer");
    }

    private Map<String, Object> read(String prefix) {
        Map<String, Object> raw = environment.getProperties(prefix, StringConvention.RAW);
        Map<String, Object> out = new HashMap<>();
        raw.forEach((k, v) -> out.put(k, v == null ? null : v.toString()));
        return out;
    }
}
