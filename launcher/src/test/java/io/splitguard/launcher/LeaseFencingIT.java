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
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lease's fencing token guards the session's CRM writes end to end: the holder's writes carry its
 * token; after the lease passed to another region (release, then a new grant with a greater token), a
 * write of the old holder with its old token is acknowledged by the gateway (durably recorded) but never
 * applied: the dedup topology, which owns both the session and its lease, fences it (the sink's own
 * token check is covered by the sink's tests).
 */
@ExtendWith(SharedInfra.class)
class LeaseFencingIT {

    @TempDir
    Path dir;

    @Test
    void shouldNeverApplyAWriteCarryingASupersededFencingTokenWhenTheLeaseMovedToAnotherRegion() throws Exception {
        String name = SharedInfra.uniqueName("lease-fencing");
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
            String token = "Bearer " + pipeline.token(Duration.ofMinutes(10), "session:write", "session:read");
            String session = name + "-sess";

            JsonNode first = acquire(http, token, session, "us-east");
            long oldToken = first.path("fencing_token").asLong();
            assertThat(update(http, token, session, "by-us-east-1", oldToken).statusCode())
                    .isEqualTo(200);
            assertThat(post(
                                    http,
                                    token,
                                    "/api/v1/state/locks/release",
                                    "{\"resource_id\":\"" + session + "\",\"lock_token\":\""
                                            + first.path("lock_token").asText() + "\"}")
                            .statusCode())
                    .isEqualTo(200);
            long newToken = acquire(http, token, session, "eu-west")
                    .path("fencing_token")
                    .asLong();
            assertThat(newToken).isGreaterThan(oldToken);

            // the old holder, paused through all of this, wakes up and writes with its old token before the
            // new holder wrote anything: only the lease can tell this write is stale (the sink has seen no
            // newer token on the session yet)
            HttpResponse<String> zombie = update(http, token, session, "by-us-east-2", oldToken);
            assertThat(zombie.statusCode())
                    .as("durably recorded is all a 200 promises")
                    .isEqualTo(200);
            assertThat(update(http, token, session, "by-eu-west-1", newToken).statusCode())
                    .isEqualTo(200);

            // the session's next write, by the holder: the same partition, so it is decided after the zombie's
            assertThat(update(http, token, session, "by-eu-west-2", newToken).statusCode())
                    .isEqualTo(200);

            // a zombie that waits for the verdict learns it was fenced; the key is not remembered, so the
            // same key retried with the current token applies (a fresh answer, not a replay)
            HttpResponse<String> waited = update(http, token, session, "by-us-east-3", oldToken, "Prefer", "wait=20");
            assertThat(waited.statusCode()).as(waited.body()).isEqualTo(409);
            assertThat(Json.mapper().readTree(waited.body()).path("verdict").asText())
                    .isEqualTo("fenced");
            HttpResponse<String> retried = update(http, token, session, "by-us-east-3", newToken);
            assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
            assertThat(retried.headers().firstValue("Idempotent-Replayed")).isEmpty();

            Database db = new Database(databaseUrl);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> db.queryLong("SELECT count(*) FROM crm_contact_updates WHERE session_id = '" + session
                                    + "' AND idempotency_key IN ('by-eu-west-2', 'by-us-east-3')")
                            == 2);
            assertThat(db.queryLong("SELECT count(*) FROM crm_contact_updates WHERE session_id = '" + session
                            + "' AND idempotency_key = 'by-us-east-2'"))
                    .as("the dedup topology fenced the zombie's write against the session's lease")
                    .isZero();
            assertThat(db.queryLong("SELECT count(*) FROM crm_contact_updates WHERE session_id = '" + session + "'"))
                    .isEqualTo(4);
            assertThat(db.queryLong("SELECT min(fencing_token) FROM crm_contact_updates WHERE session_id = '" + session
                            + "' AND (idempotency_key LIKE 'by-eu-west-%' OR idempotency_key = 'by-us-east-3')"))
                    .isEqualTo(newToken);
        }
    }

    @Test
    void shouldOverrideAHolderPausedPastTheStaleThresholdAndRefuseItsHeartbeatAndItsWrites() throws Exception {
        String name = SharedInfra.uniqueName("lease-stale");
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        TopicCatalog topics =
                TopicCatalog.builder().prefix(name + ".").sessionPartitions(3).build();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        String databaseUrl = SharedInfra.newDatabase(name);
        PipelineSettings base = Pipelines.settings(bootstrap, databaseUrl, topics, dir.resolve("state"), name);
        // a 2 s stale threshold and no lock-delay, so the test does not wait the production 15 s + 5 s
        PipelineSettings settings = new PipelineSettings(
                base.bootstrapServers(),
                base.jdbcUrl(),
                base.dbUser(),
                base.dbPassword(),
                base.topics(),
                base.stateDir(),
                base.httpPort(),
                base.jwtSecret(),
                base.dedupApplicationId(),
                base.sinkGroupId(),
                base.commitInterval(),
                Map.of("SPLITGUARD_LEASE_STALE_THRESHOLD", "PT2S", "SPLITGUARD_LEASE_LOCK_DELAY", "PT0S"));
        try (Pipeline pipeline = Pipeline.start(settings)) {
            await().atMost(Duration.ofSeconds(90)).until(pipeline::topologyRunning);
            TestHttp http = new TestHttp(URI.create(pipeline.gatewayUrl()));
            String token = "Bearer " + pipeline.token(Duration.ofMinutes(10), "session:write", "session:read");
            String session = name + "-sess";

            JsonNode paused = acquire(http, token, session, "us-east");
            // us-east stops heartbeating (a GC pause, a partition); eu-west keeps asking until the owner
            // finds the holder stale and overrides it
            HttpResponse<String> override = await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500))
                    .until(
                            () -> post(
                                    http,
                                    token,
                                    "/api/v1/state/locks/acquire",
                                    "{\"resource_id\":\"" + session
                                            + "\",\"region_origin\":\"eu-west\",\"lock_ttl_ms\":30000,"
                                            + "\"correlation_id\":\"" + UUID.randomUUID() + "\"}"),
                            r -> r.statusCode() == 200);
            JsonNode taken = Json.mapper().readTree(override.body());
            assertThat(taken.path("overrode").path("holder_region").asText()).isEqualTo("us-east");
            assertThat(taken.path("overrode").path("fencing_token").asLong())
                    .isEqualTo(paused.path("fencing_token").asLong());
            assertThat(taken.path("fencing_token").asLong())
                    .isGreaterThan(paused.path("fencing_token").asLong());

            // the paused holder wakes up: its heartbeat is refused, and so is its write
            HttpResponse<String> heartbeat = post(
                    http,
                    token,
                    "/api/v1/state/locks/heartbeat",
                    "{\"resource_id\":\"" + session + "\",\"lock_token\":\""
                            + paused.path("lock_token").asText() + "\"}");
            assertThat(heartbeat.statusCode()).as(heartbeat.body()).isEqualTo(409);
            assertThat(Json.mapper().readTree(heartbeat.body()).path("status").asText())
                    .isEqualTo("lost");
            assertThat(update(
                                    http,
                                    token,
                                    session,
                                    "late-us-east",
                                    paused.path("fencing_token").asLong())
                            .statusCode())
                    .isEqualTo(200);
            assertThat(update(
                                    http,
                                    token,
                                    session,
                                    "eu-west-1",
                                    taken.path("fencing_token").asLong())
                            .statusCode())
                    .isEqualTo(200);

            Database db = new Database(databaseUrl);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> db.queryLong("SELECT count(*) FROM crm_contact_updates WHERE idempotency_key ="
                                    + " 'eu-west-1' AND session_id = '" + session + "'")
                            == 1);
            assertThat(db.queryLong("SELECT count(*) FROM crm_contact_updates WHERE session_id = '" + session + "'"))
                    .as("the paused holder's write was fenced")
                    .isEqualTo(1);
        }
    }

    private static JsonNode acquire(TestHttp http, String token, String session, String region) throws Exception {
        HttpResponse<String> r = await().atMost(Duration.ofSeconds(60))
                .until(
                        () -> post(
                                http,
                                token,
                                "/api/v1/state/locks/acquire",
                                "{\"resource_id\":\"" + session + "\",\"region_origin\":\"" + region
                                        + "\",\"lock_ttl_ms\":30000,\"correlation_id\":\"" + UUID.randomUUID()
                                        + "\"}"),
                        response -> response.statusCode() != 503);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.mapper().readTree(r.body());
    }

    private static HttpResponse<String> update(
            TestHttp http, String token, String session, String key, long fencingToken, String... extra) {
        String body = "{\"session_id\":\"" + session + "\",\"contact_id\":\"c-1\",\"operation\":\"UPDATE_CONTACT\","
                + "\"payload\":{\"notes\":\"" + key + "\"}}";
        return http.post(
                "/api/v2/integrations/crm/contact/update",
                body.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "Content-Type",
                "application/json",
                "Authorization",
                token,
                "Idempotency-Key",
                key,
                "X-Fencing-Token",
                Long.toString(fencingToken),
                extra.length > 0 ? extra[0] : "X-Correlation-Id",
                extra.length > 1 ? extra[1] : key);
    }

    private static HttpResponse<String> post(TestHttp http, String token, String path, String body) {
        return http.post(
                path,
                body.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "Content-Type",
                "application/json",
                "Authorization",
                token);
    }
}
