package io.splitguard.sink.app;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.splitguard.health.ApplicationCheck;
import io.splitguard.health.CompositeHealth;
import io.splitguard.health.DatabaseReplicationCheck;
import io.splitguard.health.HealthSettings;
import io.splitguard.health.KafkaQuorumCheck;
import io.splitguard.health.ManagementServer;
import io.splitguard.health.PlatformConnectivityCheck;
import io.splitguard.schemas.config.Settings;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.sink.PostgresSink;
import io.splitguard.sink.config.SinkClients;
import io.splitguard.sink.config.SinkConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the Postgres sink from environment configuration (see {@link SinkConfig}) until SIGTERM. The
 * mutations topic is named by {@code SPLITGUARD_TOPIC_PREFIX} (default {@code splitguard.}).
 */
public final class SinkMain {

    private static final Logger LOG = LoggerFactory.getLogger(SinkMain.class);

    /**
     * Chaos testing only: when set to a file path, the sink halts the JVM (no shutdown hook, like
     * {@code kill -9}) right after the first database commit that finds this file, deleting it.
     */
    public static final String ENV_FAULT_HALT_AFTER_COMMIT_FILE = "SPLITGUARD_FAULT_HALT_AFTER_COMMIT_FILE";

    private SinkMain() {}

    private static void haltIfArmed(Path armed) {
        try {
            if (Files.deleteIfExists(armed)) {
                LOG.warn("fault injection: halting right after a database commit");
                Runtime.getRuntime().halt(137);
            }
        } catch (IOException e) {
            LOG.warn("cannot check fault file {}", armed, e);
        }
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> env = System.getenv();
        SinkConfig config = SinkConfig.fromMap(env);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Map<String, Object> settings = Settings.parse(SinkConfig.DEFINITION, env);
        HealthSettings health = HealthSettings.fromParsed(settings);
        PostgresSink sink = new PostgresSink(config, TopicCatalog.forService(env), registry, health.breakerOpenWait());
        int port = (Integer) settings.get(SinkConfig.ENV_MANAGEMENT_PORT);
        String haltFile = env.get(ENV_FAULT_HALT_AFTER_COMMIT_FILE);
        if (haltFile != null && !haltFile.isBlank()) {
            sink.afterEachCommit(() -> haltIfArmed(Path.of(haltFile)));
        }
        ManagementServer management = serve(sink, registry, port, health, Clock.systemUTC());
        Thread hook = new Thread(
                () -> {
                    sink.close();
                    management.close();
                },
                "splitguard-sink-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        LOG.info("starting Postgres sink with {}", config);
        sink.start();
        while (!sink.awaitTermination(Duration.ofMinutes(1))) {
            LOG.debug("sink running");
        }
        if (sink.failure().isPresent()) {
            LOG.error("sink stopped on an error; exiting");
            System.exit(1);
        }
    }

    /** Serves the sink's health and {@code registry} on {@code port} (0: any free port), health at its defaults. */
    public static ManagementServer serve(PostgresSink sink, PrometheusMeterRegistry registry, int port) {
        return serve(sink, registry, port, HealthSettings.defaults(), Clock.systemUTC());
    }

    /**
     * Serves the sink's health and {@code registry} on {@code port} (0: any free port): the composite
     * {@code /health} with {@code application}, {@code kafka_quorum}, {@code database_replication}
     * (on the sink's pool, sharing its circuit breaker: {@code health}'s open wait does not change it) and, when probes are configured,
     * {@code platform_connectivity}, checked as {@code health} says, timestamps from {@code clock}.
     */
    public static ManagementServer serve(
            PostgresSink sink, PrometheusMeterRegistry registry, int port, HealthSettings health, Clock clock) {
        Properties client = SinkClients.consumer(sink.config(), "splitguard-sink-health");
        Map<String, Object> admin = new HashMap<>();
        client.forEach((k, v) -> {
            if (AdminClientConfig.configNames().contains(String.valueOf(k))
                    && !AdminClientConfig.CLIENT_ID_CONFIG.equals(k)) {
                admin.put(String.valueOf(k), v);
            }
        });
        KafkaQuorumCheck quorum =
                KafkaQuorumCheck.create(sink.config().bootstrapServers(), admin, sink.topics(), health.timeout());
        CompositeHealth.Builder composite = CompositeHealth.builder()
                .settings(health)
                .clock(clock)
                .meterRegistry(registry)
                .component(CompositeHealth.APPLICATION, new ApplicationCheck(clock, sink::liveness))
                .component(CompositeHealth.KAFKA_QUORUM, quorum)
                .closing(quorum)
                .component(
                        CompositeHealth.DATABASE_REPLICATION,
                        DatabaseReplicationCheck.create(sink.dataSource(), health, registry));
        PlatformConnectivityCheck.create(health, registry)
                .ifPresent(platforms -> composite.component(CompositeHealth.PLATFORM_CONNECTIVITY, platforms));
        CompositeHealth started = composite.start();
        try {
            return ManagementServer.start(
                    port, registry, Map.of("sink", sink::liveness), Map.of("writing", sink::readiness), started);
        } catch (IOException e) {
            started.close();
            throw new java.io.UncheckedIOException("cannot serve the management port " + port, e);
        }
    }

    /** The topic catalog as the other services see it, from the same environment keys. */
    public static TopicCatalog catalogFrom(Map<String, String> env) {
        return TopicCatalog.fromEnv(env);
    }
}
