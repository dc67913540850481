package io.splitguard.checkpoint.app;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.splitguard.checkpoint.config.CheckpointConfig;
import io.splitguard.health.ApplicationCheck;
import io.splitguard.health.CompositeHealth;
import io.splitguard.health.HealthSettings;
import io.splitguard.health.KafkaQuorumCheck;
import io.splitguard.health.ManagementServer;
import io.splitguard.health.PlatformConnectivityCheck;
import io.splitguard.health.StreamsCheck;
import io.splitguard.health.StreamsFacts;
import io.splitguard.schemas.config.Settings;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;

/**
 * Runs the checkpoint topology as its own process, configured by environment variables, until SIGTERM;
 * serves {@code /health}, {@code /health/live}, {@code /health/ready} and {@code /metrics} on the management port.
 */
public final class CheckpointMain {

    private CheckpointMain() {}

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> env = System.getenv();
        TopicCatalog topics = TopicCatalog.forService(env);
        CheckpointConfig config = CheckpointConfig.fromEnv(env, topics.deadLetters.name());
        // the topology's own client settings (TLS, SASL through SPLITGUARD_STREAMS_*), bootstrap included
        try (Admin admin = Admin.create(StreamsFacts.adminProperties(config.streamsProperties()))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        CheckpointStreams streams = CheckpointStreams.start(config, topics);
        Map<String, Object> settings = Settings.parse(CheckpointConfig.DEFINITION, env);
        int port = (Integer) settings.get(CheckpointConfig.MANAGEMENT_PORT);
        CheckpointQueries queries = queries(streams, config, topics, settings);
        ManagementServer management =
                serve(streams, port, queries, HealthSettings.fromParsed(settings), Clock.systemUTC());
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            streams.close();
                            management.close();
                            queries.close();
                            stopped.countDown();
                        },
                        "checkpoint-shutdown"));
        stopped.await();
    }

    /** The interactive queries of {@code streams}, with the query settings of {@code settings} (parsed env). */
    public static CheckpointQueries queries(
            CheckpointStreams streams, CheckpointConfig config, TopicCatalog topics, Map<String, Object> settings) {
        return new CheckpointQueries(
                streams.kafkaStreams(),
                streams.serving(),
                topics.checkpointsIn.name(),
                config.applicationServer(),
                Settings.duration(settings.get(CheckpointConfig.QUERY_MAX_WAIT)),
                (Long) settings.get(CheckpointConfig.STANDBY_MAX_LAG),
                Clock.systemUTC());
    }

    /** Serves the health and metrics of {@code streams} on {@code port} (0: any free port), health at its defaults. */
    public static ManagementServer serve(CheckpointStreams streams, int port) {
        return serve(streams, port, null);
    }

    /** As {@link #serve(CheckpointStreams, int, CheckpointQueries, HealthSettings, Clock)}, health at its defaults. */
    public static ManagementServer serve(CheckpointStreams streams, int port, CheckpointQueries queries) {
        return serve(streams, port, queries, HealthSettings.defaults(), Clock.systemUTC());
    }

    /**
     * Serves the health and metrics of {@code streams} on {@code port} (0: any free port): the composite
     * {@code /health} ({@code application}, {@code kafka_quorum}, {@code streams} and, when probes are
     * configured, {@code platform_connectivity}), checked as {@code health} says; and with {@code queries}
     * (may be null) {@code GET /internal/checkpoints/{session_id}}, in which case the port must be the
     * one {@code SPLITGUARD_CHECKPOINT_APPLICATION_SERVER} names.
     */
    public static ManagementServer serve(
            CheckpointStreams streams, int port, CheckpointQueries queries, HealthSettings health, Clock clock) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        streams.bindMetrics(registry);
        KafkaQuorumCheck quorum = KafkaQuorumCheck.create(
                streams.bootstrapServers(), streams.adminProperties(), streams.topics(), health.timeout());
        CompositeHealth.Builder composite = CompositeHealth.builder()
                .settings(health)
                .clock(clock)
                .meterRegistry(registry)
                .component(CompositeHealth.APPLICATION, new ApplicationCheck(clock, streams::liveness))
                .component(CompositeHealth.KAFKA_QUORUM, quorum)
                .closing(quorum)
                .component(CompositeHealth.STREAMS, new StreamsCheck(streams::status));
        PlatformConnectivityCheck.create(health, registry)
                .ifPresent(platforms -> composite.component(CompositeHealth.PLATFORM_CONNECTIVITY, platforms));
        CompositeHealth started = composite.start();
        try {
            return ManagementServer.start(
                    port,
                    registry,
                    Map.of("streams", streams::liveness),
                    Map.of("streams_running", streams::readiness),
                    started,
                    queries == null ? Map.of() : Map.of(CheckpointQueries.PREFIX, queries));
        } catch (IOException e) {
            started.close();
            throw new UncheckedIOException("cannot serve the management port " + port, e);
        }
    }
}
