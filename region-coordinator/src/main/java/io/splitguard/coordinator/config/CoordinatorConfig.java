package io.splitguard.coordinator.config;

import io.splitguard.health.HealthSettings;
import io.splitguard.health.RegionSettings;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.config.Settings;
import java.net.URI;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * Settings of the region coordinator, validated on construction. The region quorum's own settings
 * ({@code SPLITGUARD_REGIONS}, {@code SPLITGUARD_REGION}, ...) and the health settings come from
 * {@link HealthSettings#DEFINITION}; the Kafka ones from {@link CommonSettings#DEFINITION}.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param regions the quorum: every region, this one, the first primary, vote interval and age bound
 * @param health how the composite health (the region's vote) is checked
 * @param stateDir where the quorum topology keeps its (tiny) RocksDB state
 * @param managementPort port of /health, /health/live, /health/ready and /metrics
 * @param serviceProbes readiness URLs of this region's own services, by name; each must answer 2xx-4xx
 *     (a service's /health/ready answers 503 when it is not ready) for the region to vote healthy
 */
public record CoordinatorConfig(
        String bootstrapServers,
        RegionSettings regions,
        HealthSettings health,
        Path stateDir,
        int managementPort,
        Map<String, URI> serviceProbes,
        Map<String, String> clientProperties) {

    public static final String STATE_DIR = "SPLITGUARD_STATE_DIR";
    public static final String MANAGEMENT_PORT = "SPLITGUARD_MANAGEMENT_PORT";
    public static final String SERVICE_PROBES = "SPLITGUARD_COORDINATOR_SERVICE_PROBES";
    /**
     * {@code SPLITGUARD_KAFKA_CLIENT_SECURITY_PROTOCOL=SSL} sets {@code security.protocol} on every Kafka client
     * of the coordinator (quorum topology, voter, view, admin clients), as the gateway's same-named settings do.
     */
    public static final String CLIENT_PREFIX = "SPLITGUARD_KAFKA_CLIENT_";

    /** The management port when none is set: next to the checkpoint topology's 8083. */
    public static final int DEFAULT_MANAGEMENT_PORT = 8084;

    public CoordinatorConfig {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(regions, "regions");
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(stateDir, "stateDir");
        if (managementPort < 0 || managementPort > 65535) {
            throw new IllegalArgumentException("managementPort must be 0..65535");
        }
        serviceProbes = Collections.unmodifiableMap(new LinkedHashMap<>(serviceProbes));
    }

    /**
     * The coordinator's settings (with the common ones and the health and region ones, {@link
     * HealthSettings}), each with its type, default, validator and doc.
     */
    public static final ConfigDef DEFINITION = HealthSettings.addTo(new ConfigDef(CommonSettings.DEFINITION)
            .define(
                    STATE_DIR,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "Where the region quorum topology keeps its RocksDB state (a few records, restored from its"
                            + " changelog when lost). Unset: splitguard-coordinator in the JVM's temporary directory.")
            .define(
                    MANAGEMENT_PORT,
                    Type.INT,
                    DEFAULT_MANAGEMENT_PORT,
                    ConfigDef.Range.between(0, 65535),
                    Importance.MEDIUM,
                    "Port of /health, /health/live, /health/ready and /metrics (Prometheus) of the region"
                            + " coordinator.")
            .define(
                    SERVICE_PROBES,
                    Type.LIST,
                    "",
                    probesValidator(),
                    Importance.MEDIUM,
                    "This region's own services whose readiness is part of the region's vote, as name=url pairs"
                            + " (gateway=http://gateway:8080/health/ready,topology=http://topology:8081/health/ready)."
                            + " Each is probed on the health interval through a circuit breaker; a 5xx (a service"
                            + " that is not ready answers 503), a timeout or a refused connection makes the"
                            + " region_services component, and so the region's vote, unhealthy. Empty: no"
                            + " region_services component (the vote is application and kafka_quorum only)."));

    private static Path stateDir(String configured) {
        return configured.isBlank()
                ? Path.of(System.getProperty("java.io.tmpdir"), "splitguard-coordinator")
                : Path.of(configured);
    }

    /** The settings {@link #DEFINITION} names, from environment-style keys. */
    public static CoordinatorConfig fromEnv(Map<String, String> env) {
        Map<String, Object> v = Settings.parse(DEFINITION, env);
        @SuppressWarnings("unchecked")
        List<String> probes = (List<String>) v.get(SERVICE_PROBES);
        return new CoordinatorConfig(
                (String) v.get(CommonSettings.BOOTSTRAP_SERVERS),
                RegionSettings.fromParsed(v),
                HealthSettings.fromParsed(v),
                stateDir((String) v.get(STATE_DIR)),
                (Integer) v.get(MANAGEMENT_PORT),
                HealthSettings.probes(probes),
                Map.copyOf(Settings.passThrough(env, CLIENT_PREFIX)));
    }

    private static ConfigDef.Validator probesValidator() {
        return new ConfigDef.Validator() {
            @Override
            @SuppressWarnings("unchecked")
            public void ensureValid(String name, Object value) {
                try {
                    HealthSettings.probes(value == null ? List.of() : (List<String>) value);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(name, value, e.getMessage());
                }
            }

            @Override
            public String toString() {
                return "comma-separated name=http(s)-url pairs";
            }
        };
    }
}
