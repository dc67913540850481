package io.splitguard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline runs the checkpoint topology too: a checkpoint written through its gateway is read back,
 * and the sink stores it in {@code session_checkpoints}.
 */
@ExtendWith(SharedInfra.class)
class PipelineCheckpointsIT {

    @TempDir
    Path dir;

    @Test
    void shouldReadBackACheckpointThroughTheGatewayWhenThePipelineRuns() throws Exception {
        String name = SharedInfra.uniqueName("pipeline-checkpoints");
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        TopicCatalog topics =
                TopicCatalog.builder().prefix(name + ".").sessionPartitions(3).build();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        String databaseUrl = SharedInfra.newDatabase(name);
        PipelineSettings settings = Pipelines.settings(bootstrap, databaseUrl, topics, dir.resolve("state"), name);
        try (Pipeline pipeline = Pipeline.start(settings)) {
            await().atMost(Duration.ofSeconds(90)).until(pipeline::checkpointTopologyRunning);
            TestHttp http = new TestHttp(URI.create(pipeline.gatewayUrl()));
            String token = "Bearer " + pipeline.token(Duration.ofMinutes(10), "session:write", "session:read");
            String session = name + "-sess";

            HttpResponse<String> written = http.post(
                    "/api/v2/sessions/" + session + "/state/checkpoint",
                    "{\"session_id\":\"" + session + "\",\"region\":\"us-east-1\",\"checkpoint_id\":\"chk_42\","
                            + "\"variables\":{\"queue\":\"billing\",\"typing_indicator\":true}}",
                    "Content-Type",
                    "application/json",
                    "Authorization",
                    token);
            assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
            String position =
                    Json.mapper().readTree(written.body()).path("position").asText();

            HttpResponse<String> read = http.get(
                    "/api/v2/sessions/" + session + "/state/latest?position=" + position, "Authorization", token);

            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
            JsonNode answer = Json.mapper().readTree(read.body());
            assertThat(answer.path("restore").asBoolean()).as(read.body()).isTrue();
            assertThat(answer.path("sequence").asLong()).isEqualTo(42);
            assertThat(answer.path("variables").toString()).isEqualTo("{\"queue\":\"billing\"}");

            // and the sink keeps the session's latest checkpoint in PostgreSQL
            Database db = new Database(databaseUrl);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> db.queryLong("SELECT count(*) FROM session_checkpoints WHERE session_id = '" + session
                                    + "' AND sequence = 42 AND variables = '{\"queue\":\"billing\"}'::jsonb")
                            == 1);
        }
    }
}
