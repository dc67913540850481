package io.splitguard.gateway.kafka;

import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Context;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.value.PropertyResolver;
import io.splitguard.gateway.config.ClientProperties;
import io.splitguard.gateway.config.KafkaSettings;
import io.splitguard.gateway.idempotency.StoredOutcomes;
import io.splitguard.health.ApplicationCheck;
import io.splitguard.health.ComponentHealth;
import io.splitguard.health.CompositeHealth;
import io.splitguard.health.Health;
import io.splitguard.health.HealthReport;
import io.splitguard.health.HealthSettings;
import io.splitguard.health.KafkaQuorumCheck;
import io.splitguard.health.PlatformConnectivityCheck;
import io.splitguard.schemas.topics.TopicCatalog;
import jakarta.annotation.PreDestroy;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * The gateway's composite health ({@code GET /health}): the same components, schedule, timeouts,
 * 3-check re-entry and breakers as the topology and the sink ({@link CompositeHealth}). Checks run on
 * their own scheduler; the endpoint serves the last evaluation and calls nothing.
 *
 * <ul>
 *   <li>{@code application}: uptime and JVM threads;
 *   <li>{@code kafka_quorum}: brokers, the KRaft quorum and the topics the gateway writes and reads;
 *   <li>{@code database_replication}: only when the idempotency lookup has a database;
 *   <li>{@code platform_connectivity}: only when {@code SPLITGUARD_HEALTH_PLATFORM_PROBES} is set.
 * </ul>
 */
@Context
public class GatewayHealth implements AutoCloseable {

    private static final List<String> WRITE_PATH = List.of(CompositeHealth.APPLICATION, CompositeHealth.KAFKA_QUORUM);

    private final CompositeHealth composite;

    public GatewayHealth(
            PropertyResolver properties,
            KafkaSettings kafka,
            ClientProperties clients,
            TopicCatalog catalog,
            MeterRegistry registry,
            @Nullable StoredOutcomes storedOutcomes) {
        HealthSettings settings =
                HealthSettings.fromEnv(GatewayBeans.settings(properties, HealthSettings.DEFINITION.names()));
        Clock clock = Clock.systemUTC();
        KafkaQuorumCheck quorum = KafkaQuorumCheck.create(
                kafka.getBootstrapServers(),
                clients.admin(),
                List.of(catalog.mutationsIn.name(), catalog.idempotencyOutcomes.name()),
                settings.timeout());
        CompositeHealth.Builder builder = CompositeHealth.builder()
                .settings(settings)
                .clock(clock)
                .meterRegistry(registry)
                .component(CompositeHealth.APPLICATION, new ApplicationCheck(clock, () -> Health.up(Map.of())))
                .component(CompositeHealth.KAFKA_QUORUM, quorum)
                .closing(quorum);
        if (storedOutcomes != null) {
            builder.component(
                    CompositeHealth.DATABASE_REPLICATION, storedOutcomes.replicationCheck(settings, registry));
        }
        PlatformConnectivityCheck.create(settings, registry)
                .ifPresent(platforms -> builder.component(CompositeHealth.PLATFORM_CONNECTIVITY, platforms));
        this.composite = builder.start();
    }

    /** The last evaluation; never calls a dependency. */
    public HealthReport report() {
        return composite.report();
    }

    public boolean isHealthy() {
        return composite.isHealthy();
    }

    /**
     * Whether the components the gateway needs to take writes ({@code application}, {@code
     * kafka_quorum}) are healthy in the last evaluation. Readiness follows these only: a gateway whose
     * lookup database or platform probe fails still records writes durably in Kafka, and taking every
     * gateway out of rotation for it would turn a database outage into a write outage. {@code GET
     * /health} still reports 503 for them.
     */
    public boolean writePathHealthy() {
        Map<String, ComponentHealth> components = composite.report().components();
        return WRITE_PATH.stream().allMatch(name -> {
            ComponentHealth c = components.get(name);
            return c != null && c.isHealthy();
        });
    }

    @Override
    @PreDestroy
    public void close() {
        composite.close();
    }
}
