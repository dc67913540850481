package io.splitguard.checkpoint.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.checkpoint.config.CheckpointConfig;
import io.splitguard.health.HealthSettings;
import io.splitguard.health.ManagementServer;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The checkpoint topology process's management port on a real broker: readiness follows Streams, metrics are scraped. */
@ExtendWith(SharedInfra.class)
class ManagementEndpointsIT {

    @TempDir
    Path stateDir;

    private static HttpResponse<String> get(ManagementServer server, String path) {
        return TestHttp.localhost(server.port()).get(path);
    }

    @Test
    void shouldBeReadyOnceRunningServeStreamsMetricsAndStopBeingLiveWhenClosed() throws Exception {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String name = SharedInfra.uniqueName("checkpoint-management");
        TopicCatalog topics =
                TopicCatalog.builder().prefix(name + ".").sessionPartitions(2).build();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        CheckpointConfig config = CheckpointConfig.fromEnv(
                Map.of(
                        "SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS", bootstrap,
                        "SPLITGUARD_CHECKPOINT_APPLICATION_ID", name,
                        "SPLITGUARD_STATE_DIR", stateDir.toString()),
                topics.deadLetters.name());

        CheckpointStreams streams = CheckpointStreams.start(config, topics);
        HealthSettings health = HealthSettings.fromEnv(Map.of(HealthSettings.INTERVAL, "PT0.3S"));
        try (ManagementServer server = CheckpointMain.serve(streams, 0, null, health, Clock.systemUTC())) {
            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(() -> assertThat(get(server, "/health/ready").statusCode())
                            .isEqualTo(200));
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                HttpResponse<String> composite = get(server, "/health");
                assertThat(composite.statusCode()).as(composite.body()).isEqualTo(200);
                JsonNode doc = Json.mapper().readTree(composite.body());
                assertThat(doc.get("components").fieldNames())
                        .toIterable()
                        .containsExactly("application", "kafka_quorum", "streams");
                // checkpoints-in, checkpoints, audit and dead letters: the topics it reads and writes
                assertThat(doc.at("/components/kafka_quorum/topics").asInt()).isEqualTo(4);
            });
            assertThat(get(server, "/health/live").body()).contains("RUNNING");
            assertThat(get(server, "/metrics").body())
                    .contains("kafka_stream_thread_")
                    .contains("kafka_producer_");

            streams.close();

            HttpResponse<String> live = get(server, "/health/live");
            assertThat(live.statusCode()).isEqualTo(503);
            assertThat(live.body()).contains("NOT_RUNNING");
            assertThat(get(server, "/health/ready").statusCode()).isEqualTo(503);
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() ->
                            assertThat(get(server, "/health").statusCode()).isEqualTo(503));
        }
    }
}
