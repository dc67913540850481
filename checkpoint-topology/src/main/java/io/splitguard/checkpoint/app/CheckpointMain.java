package io.splitguard.checkpoint.app;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.splitguard.checkpoint.config.CheckpointConfig;
import io.splitguard.health.ManagementServer;
import io.splitguard.schemas.config.Settings;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Runs the checkpoint topology as its own process, configured by environment variables, until SIGTERM;
 * serves {@code /health/live}, {@code /health/ready} and {@code /metrics} on the management port.
 */
public final class CheckpointMain {

    private CheckpointMain() {}

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> env = System.getenv();
        TopicCatalog topics = TopicCatalog.forService(env);
        CheckpointConfig config = CheckpointConfig.fromEnv(env, topics.deadLetters.name());
        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers()))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        CheckpointStreams streams = CheckpointStreams.start(config, topics);
        int port = (Integer) Settings.parse(CheckpointConfig.DEFINITION, env).get(CheckpointConfig.MANAGEMENT_PORT);
        ManagementServer management = serve(streams, port);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            streams.close();
                            management.close();
                            stopped.countDown();
                        },
                        "checkpoint-shutdown"));
        stopped.await();
    }

    /** Serves the health and metrics of {@code streams} on {@code port} (0: any free port). */
    public static ManagementServer serve(CheckpointStreams streams, int port) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        streams.bindMetrics(registry);
        try {
            return ManagementServer.start(
                    port,
                    registry,
                    Map.of("streams", streams::liveness),
                    Map.of("streams_running", streams::readiness));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the management port " + port, e);
        }
    }
}
