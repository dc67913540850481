package io.splitguard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A platform notification end to end: a Genesys Cloud notification delivered three times (the platform's
 * retries after lost answers) becomes one row of {@code crm_contact_updates} with the notification as
 * delivered, and one {@code idempotency_store} row under the notification's CorrelationId.
 */
@ExtendWith(SharedInfra.class)
class PlatformWebhooksIT {

    @TempDir
    Path dir;

    @Test
    void shouldStoreAPlatformNotificationOnceWhenItIsDeliveredThreeTimes() throws Exception {
        String name = SharedInfra.uniqueName("webhooks-e2e");
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        TopicCatalog topics =
                TopicCatalog.builder().prefix(name + ".").sessionPartitions(3).build();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        String databaseUrl = SharedInfra.newDatabase(name);
        PipelineSettings settings = Pipelines.settings(bootstrap, databaseUrl, topics, dir.resolve("state"), name);
        try (Pipeline pipeline = Pipeline.start(settings)) {
            await().atMost(Duration.ofSeconds(90)).until(pipeline::topologyRunning);
            TestHttp http = new TestHttp(URI.create(pipeline.gatewayUrl()));
            String token = "Bearer " + pipeline.token(Duration.ofMinutes(10), "session:write");
            String conversation = UUID.randomUUID().toString();
            String correlation = UUID.randomUUID().toString();
            ObjectNode notification = Json.mapper().createObjectNode();
            notification.put("topicName", "v2.detail.events.conversation." + conversation + ".customer.start");
            notification.put("version", "2");
            ObjectNode body = notification.putObject("eventBody");
            body.put("eventTime", 1715788320123L);
            body.put("conversationId", conversation);
            body.put("mediaType", "VOICE");
            body.put("ani", "tel:+15550100123");
            notification.putObject("metadata").put("CorrelationId", correlation);
            byte[] bytes = notification.toString().getBytes(StandardCharsets.UTF_8);

            for (int delivery = 0; delivery < 3; delivery++) {
                HttpResponse<String> r = http.post(
                        "/api/v2/webhooks/genesys", bytes, "Authorization", token, "Content-Type", "application/json");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            }

            Database db = new Database(databaseUrl);
            String where = " WHERE session_id = '" + conversation + "' AND idempotency_key = '" + correlation + "'";
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> db.queryLong("SELECT count(*) FROM idempotency_store" + where) == 1);
            assertThat(db.queryLong("SELECT count(*) FROM crm_contact_updates" + where))
                    .isEqualTo(1);
            List<Database.Row> rows = db.rows().stream()
                    .filter(row -> row.sessionId().equals(conversation))
                    .toList();
            assertThat(rows).hasSize(1);
            assertThat(rows.get(0).operation())
                    .isEqualTo(notification.path("topicName").asText());
            assertThat(rows.get(0).payload()).isEqualTo(notification);
            assertThat(db.queryLong(
                            "SELECT count(*) FROM crm_contact_updates" + where + " AND route = 'webhook.genesys'"))
                    .isEqualTo(1);
        }
    }
}
