package io.splitguard.topology.app;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
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
import io.splitguard.topology.config.DedupConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;

/**
 * Runs the dedup topology as its own process, configured by environment variables, until SIGTERM;
 * serves {@code /health}, {@code /health/live}, {@code /health/ready} and {@code /metrics} on the
 * management port.
 */
public final class DedupMain {

    private DedupMain() {}

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> env = System.getenv();
        TopicCatalog topics = TopicCatalog.forService(env);
        DedupConfig config = DedupConfig.fromEnv(env, topics.deadLetters.name());
        // the topology's own client settings (TLS, SASL through SPLITGUARD_STREAMS_*), bootstrap included
        try (Admin admin = Admin.create(StreamsFacts.adminProperties(config.streamsProperties()))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        DedupStreams streams = DedupStreams.start(config, topics);
        Map<String, Object> settings = Settings.parse(DedupConfig.DEFINITION, env);
        int port = (Integer) settings.get(DedupConfig.MANAGEMENT_PORT);
        ManagementServer management = serve(streams, port, HealthSettings.fromParsed(settings), Clock.systemUTC());
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            streams.close();
                            management.close();
                            stopped.countDown();
                        },
                        "dedup-shutdown"));
        stopped.await();
    }

    /** Serves the health and metrics of {@code streams} on {@code port} (0: any free port), health at its defaults. */
    public static ManagementServer serve(DedupStreams streams, int port) {
        return serve(streams, port, HealthSettings.defaults(), Clock.systemUTC());
    }

    /**
     * Serves the health and metrics of {@code streams} on {@code port} (0: any free port): the
     * composite {@code /health} with {@code application}, {@code kafka_quorum}, {@code streams} and,
     * when probes are configured, {@code platform_connectivity}, checked as {@code health} says, with
     * timestamps from {@code clock}.
     */
    public static ManagementServer serve(DedupStreams streams, int port, HealthSettings health, Clock clock) {
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
                    started);
        } catch (IOException e) {
            started.close();
            throw new UncheckedIOException("cannot serve the management port " + port, e);
        }
    }
}
