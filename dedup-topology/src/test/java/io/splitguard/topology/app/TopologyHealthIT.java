package io.splitguard.topology.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.splitguard.health.HealthSettings;
import io.splitguard.health.ManagementServer;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import io.splitguard.topology.config.DedupConfig;
import java.net.InetSocketAddress;
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

/**
 * The topology's composite {@code /health} on a real broker: application, kafka_quorum, streams and a
 * platform probe against a local stub; a stopped stub or stopped Streams turns it 503.
 */
@ExtendWith(SharedInfra.class)
class TopologyHealthIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path stateDir;

    private static JsonNode health(ManagementServer server) throws Exception {
        return JSON.readTree(TestHttp.localhost(server.port()).get("/health").body());
    }

    private static int status(ManagementServer server, String path) {
        return TestHttp.localhost(server.port()).get(path).statusCode();
    }

    @Test
    void shouldReportEveryComponentHealthyWhenRunningAndTurn503WhenAPlatformOrStreamsStops() throws Exception {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String name = SharedInfra.uniqueName("topology-health");
        TopicCatalog topics =
                TopicCatalog.builder().prefix(name + ".").sessionPartitions(2).build();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        DedupConfig config = DedupConfig.fromEnv(
                Map.of(
                        "SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS", bootstrap,
                        "SPLITGUARD_DEDUP_APPLICATION_ID", name,
                        "SPLITGUARD_STATE_DIR", stateDir.toString()),
                topics.deadLetters.name());
        HttpServer genesys = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        genesys.createContext("/", exchange -> {
            exchange.sendResponseHeaders(401, -1);
            exchange.close();
        });
        genesys.start();
        HealthSettings settings = HealthSettings.fromEnv(Map.of(
                HealthSettings.INTERVAL, "PT0.2S",
                HealthSettings.TIMEOUT, "PT5S",
                HealthSettings.PLATFORM_PROBES,
                        "genesys_cloud=http://127.0.0.1:" + genesys.getAddress().getPort() + "/api/v2"));

        DedupStreams streams = DedupStreams.start(config, topics);
        try (ManagementServer server = DedupMain.serve(streams, 0, settings, Clock.systemUTC())) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                HttpResponse<String> response =
                        TestHttp.localhost(server.port()).get("/health");
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            });
            JsonNode doc = health(server);
            assertThat(doc.get("status").asText()).isEqualTo("healthy");
            assertThat(doc.get("components").fieldNames())
                    .toIterable()
                    .containsExactly("application", "kafka_quorum", "streams", "platform_connectivity");
            assertThat(doc.at("/components/kafka_quorum/brokers").asInt()).isEqualTo(1);
            assertThat(doc.at("/components/kafka_quorum/topics").asInt())
                    .as("the topics the topology reads and writes")
                    .isGreaterThanOrEqualTo(3);
            assertThat(doc.at("/components/streams/state").asText()).isEqualTo("RUNNING");
            assertThat(doc.at("/components/streams/threads_alive").asInt()).isPositive();
            assertThat(doc.at("/components/platform_connectivity/genesys_cloud_latency_ms")
                            .isNumber())
                    .isTrue();
            assertThat(status(server, "/health/ready")).isEqualTo(200);
            assertThat(TestHttp.localhost(server.port()).get("/metrics").body())
                    .contains("splitguard_health_status 1.0")
                    .contains("splitguard_breaker_state{name=\"platform-genesys_cloud\",state=\"closed\"} 1.0");

            genesys.stop(0);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode down = health(server);
                assertThat(down.at("/components/platform_connectivity/status").asText())
                        .isEqualTo("unhealthy");
                assertThat(status(server, "/health")).isEqualTo(503);
            });
            assertThat(status(server, "/health/ready")).as("readiness agrees").isEqualTo(503);
            assertThat(status(server, "/health/live"))
                    .as("a platform down is no reason to restart")
                    .isEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                            TestHttp.localhost(server.port()).get("/metrics").body())
                    .contains("splitguard_breaker_state{name=\"platform-genesys_cloud\",state=\"open\"} 1.0"));

            streams.close();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                            health(server).at("/components/streams/status").asText())
                    .isEqualTo("unhealthy"));
        } finally {
            genesys.stop(0);
        }
    }
}
