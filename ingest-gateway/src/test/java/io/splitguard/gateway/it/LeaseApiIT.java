package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import io.splitguard.topology.app.DedupStreams;
import io.splitguard.topology.config.DedupConfig;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The lease API end to end on the real broker: the gateway writes each request as a command, the dedup
 * topology's owner of the resource's partition decides, the gateway answers with that decision.
 */
@ExtendWith(SharedInfra.class)
class LeaseApiIT {

    private static final List<AutoCloseable> OPEN = new ArrayList<>();
    private static final String WRITE = Fixtures.token("acme", "session:write");
    private static final String READ = Fixtures.token("acme", "session:read");

    private static TestHttp gateway;
    private static TestHttp noDecider;

    @BeforeAll
    static void start() throws IOException {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String prefix = SharedInfra.uniqueName("leases") + ".";
        TopicCatalog catalog = Fixtures.catalog(prefix);
        Fixtures.bootstrap(bootstrap, catalog);
        DedupStreams topology = DedupStreams.start(
                DedupConfig.fromEnv(
                        Map.of(
                                DedupConfig.APPLICATION_ID,
                                prefix + "dedup",
                                CommonSettings.BOOTSTRAP_SERVERS,
                                bootstrap,
                                DedupConfig.STATE_DIR,
                                Files.createTempDirectory("lease-api").toString(),
                                DedupConfig.COMMIT_INTERVAL_MS,
                                "50"),
                        catalog.deadLetters.name()),
                catalog);
        OPEN.add(topology);
        GatewayServer server = Fixtures.start(Fixtures.properties(bootstrap, prefix));
        OPEN.add(server);
        gateway = new TestHttp(server.url());

        // the same topics, nobody deciding: every command waits out the decision bound
        String orphan = SharedInfra.uniqueName("leases-orphan") + ".";
        Fixtures.bootstrap(bootstrap, Fixtures.catalog(orphan));
        Map<String, Object> properties = Fixtures.properties(bootstrap, orphan);
        properties.put("splitguard.gateway.lease.decision-timeout", "1s");
        GatewayServer lonely = Fixtures.start(properties);
        OPEN.add(lonely);
        noDecider = new TestHttp(lonely.url());
        await().atMost(Duration.ofSeconds(60)).until(topology::isRunning);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : OPEN) {
            c.close();
        }
    }

    private static HttpResponse<String> post(TestHttp via, String action, String body, String token) {
        return via.post(
                "/api/v1/state/locks/" + action,
                body.getBytes(StandardCharsets.UTF_8),
                "Content-Type",
                "application/json",
                "Authorization",
                token);
    }

    private static HttpResponse<String> acquire(String resource, String region, String correlation) {
        return post(
                gateway,
                "acquire",
                "{\"resource_id\":\"" + resource + "\",\"region_origin\":\"" + region
                        + "\",\"lock_ttl_ms\":30000,\"operation_type\":\"crm_sync\",\"correlation_id\":\""
                        + correlation + "\"}",
                WRITE);
    }

    private static HttpResponse<String> withToken(String action, String resource, String token) {
        return post(gateway, action, "{\"resource_id\":\"" + resource + "\",\"lock_token\":\"" + token + "\"}", WRITE);
    }

    @Test
    void shouldGrantOneHolderAndAnswerEveryOtherRequestByTheDecisionOfThePartitionOwner() {
        String resource = "sess-" + UUID.randomUUID();
        String correlation = UUID.randomUUID().toString();

        HttpResponse<String> granted = await().atMost(Duration.ofSeconds(30))
                .until(() -> acquire(resource, "us-east", correlation), r -> r.statusCode() != 503);
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(200);
        JsonNode grant = Fixtures.json(granted);
        String lockToken = grant.path("lock_token").asText();
        long fencingToken = grant.path("fencing_token").asLong();
        assertThat(lockToken).isNotBlank();
        assertThat(grant.path("holder_region").asText()).isEqualTo("us-east");
        assertThat(Instant.parse(grant.path("expires_at").asText())).isAfter(Instant.now());

        // a retry of the same acquisition gets the same grant
        HttpResponse<String> retried = acquire(resource, "us-east", correlation);
        assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
        assertThat(Fixtures.json(retried).path("lock_token").asText()).isEqualTo(lockToken);
        assertThat(Fixtures.json(retried).path("fencing_token").asLong()).isEqualTo(fencingToken);

        HttpResponse<String> conflict =
                acquire(resource, "eu-west", UUID.randomUUID().toString());
        assertThat(conflict.statusCode()).as(conflict.body()).isEqualTo(409);
        assertThat(Fixtures.json(conflict).path("holder_region").asText()).isEqualTo("us-east");
        assertThat(Fixtures.json(conflict).path("retry_after_ms").asLong()).isPositive();
        assertThat(conflict.headers().firstValue("Retry-After")).isPresent();

        assertThat(withToken("heartbeat", resource, lockToken).statusCode()).isEqualTo(200);
        assertThat(withToken("heartbeat", resource, "not-the-token").statusCode())
                .isEqualTo(409);
        assertThat(withToken("release", resource, "not-the-token").statusCode()).isEqualTo(409);
        assertThat(withToken("release", resource, lockToken).statusCode()).isEqualTo(200);
        assertThat(withToken("heartbeat", resource, lockToken).statusCode())
                .as("a released lease is gone")
                .isEqualTo(409);

        // a clean release frees the resource at once, with a newer fencing token
        HttpResponse<String> next =
                acquire(resource, "eu-west", UUID.randomUUID().toString());
        assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
        assertThat(Fixtures.json(next).path("fencing_token").asLong()).isGreaterThan(fencingToken);
    }

    @Test
    void shouldRefuseBodiesOutsideTheContractBeforeSendingAnything() {
        String resource = "sess-" + UUID.randomUUID();
        assertThat(post(gateway, "acquire", "{not json", WRITE).statusCode()).isEqualTo(400);
        assertThat(post(gateway, "acquire", "[]", WRITE).statusCode()).isEqualTo(400);
        HttpResponse<String> noCorrelation = post(
                gateway,
                "acquire",
                "{\"resource_id\":\"" + resource + "\",\"region_origin\":\"us-east\",\"lock_ttl_ms\":30000}",
                WRITE);
        assertThat(noCorrelation.statusCode()).as(noCorrelation.body()).isEqualTo(422);
        HttpResponse<String> ttl = post(
                gateway,
                "acquire",
                "{\"resource_id\":\"" + resource
                        + "\",\"region_origin\":\"us-east\",\"lock_ttl_ms\":5,\"correlation_id\":\"c\"}",
                WRITE);
        assertThat(ttl.statusCode()).as(ttl.body()).isEqualTo(422);
        HttpResponse<String> unknown = post(
                gateway, "heartbeat", "{\"resource_id\":\"" + resource + "\",\"lock_token\":\"t\",\"x\":1}", WRITE);
        assertThat(unknown.statusCode()).isEqualTo(422);
        assertThat(Fixtures.json(unknown).path("errors").toString()).contains("x");
        assertThat(post(gateway, "release", "{\"resource_id\":\"" + resource + "\"}", WRITE)
                        .statusCode())
                .isEqualTo(422);
        assertThat(post(gateway, "release", "{\"resource_id\":\"r\",\"lock_token\":\"t\"}", READ)
                        .statusCode())
                .isEqualTo(403);
        assertThat(gateway.post(
                                "/api/v1/state/locks/release",
                                "{}".getBytes(StandardCharsets.UTF_8),
                                "Content-Type",
                                "application/json")
                        .statusCode())
                .isEqualTo(401);
    }

    @Test
    void shouldAnswer503WithRetryAfterAndNeverA2xxWhenNoDecisionComes() {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> post(noDecider, "heartbeat", "{\"resource_id\":\"r\",\"lock_token\":\"t\"}", WRITE)
                                .statusCode()
                        == 503);
        HttpResponse<String> r = post(
                noDecider,
                "acquire",
                "{\"resource_id\":\"r-1\",\"region_origin\":\"us-east\",\"lock_ttl_ms\":30000,\"correlation_id\":\"c-1\"}",
                WRITE);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        JsonNode problem = Fixtures.json(r);
        assertThat(problem.path("type").asText()).endsWith("lease-decision-timeout");
        assertThat(problem.path("detail").asText()).contains("same correlation_id");
    }
}
