package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.gateway.api.RegionRoleHeader;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.health.HealthReport;
import io.splitguard.health.RegionQuorumStreams;
import io.splitguard.health.RegionSettings;
import io.splitguard.health.RegionVoter;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code GET /api/v1/regions} on a gateway in eu-west while three regions vote and the quorum topology
 * decides: each region's latest vote and its age, the primary and its epoch, the gateway's own role; a
 * write answered there carries the region's role.
 */
@ExtendWith(SharedInfra.class)
class RegionsIT {

    private static final String REGIONS = "us-east,eu-west,ap-south";

    private static RegionSettings settings(String region, String applicationId) {
        return RegionSettings.fromEnv(Map.of(
                RegionSettings.REGIONS, REGIONS,
                RegionSettings.REGION, region,
                RegionSettings.VOTE_INTERVAL, "PT0.3S",
                RegionSettings.VOTE_MAX_AGE, "PT3S",
                RegionSettings.QUORUM_APPLICATION_ID, applicationId));
    }

    private static HealthReport report(boolean healthy) {
        return new HealthReport(healthy, Instant.now(), Map.of(), new byte[0]);
    }

    /** Believes us-east is primary at the decided epoch and that it is healthy while {@code primaryUp}. */
    private static RegionVoter.PrimaryView view(AtomicBoolean primaryUp) {
        return new RegionVoter.PrimaryView() {
            @Override
            public String primary() {
                return "us-east";
            }

            @Override
            public long epoch() {
                return 1;
            }

            @Override
            public boolean primaryHealthy() {
                return primaryUp.get();
            }
        };
    }

    @Test
    void shouldServeEachRegionsVoteThePrimaryAndThisGatewaysRoleWhenThreeRegionsVote() throws Exception {
        String prefix = SharedInfra.uniqueName("regions") + ".";
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        TopicCatalog catalog = Fixtures.catalog(prefix);
        Fixtures.bootstrap(bootstrap, catalog);
        Map<String, Object> properties = Fixtures.properties(bootstrap, prefix);
        properties.put("splitguard.regions", REGIONS);
        properties.put("splitguard.region", "eu-west");
        properties.put("splitguard.region.vote.max.age", "PT3S");
        properties.put("splitguard.region.vote.interval", "PT0.3S");
        AtomicBoolean usEastUp = new AtomicBoolean(true);
        AtomicBoolean seenUp = new AtomicBoolean(true);
        List<AutoCloseable> open = new ArrayList<>();
        GatewayServer gateway = Fixtures.start(properties);
        open.add(gateway);
        try {
            open.add(RegionQuorumStreams.start(
                    bootstrap,
                    catalog,
                    settings("us-east", prefix + "quorum"),
                    Files.createTempDirectory("gw-quorum-state"),
                    Map.of()));
            open.add(RegionVoter.create(
                            bootstrap,
                            Map.of(),
                            catalog,
                            settings("us-east", prefix + "quorum"),
                            () -> report(usEastUp.get()),
                            view(usEastUp),
                            Clock.systemUTC())
                    .start());
            open.add(RegionVoter.create(
                            bootstrap,
                            Map.of(),
                            catalog,
                            settings("eu-west", prefix + "quorum"),
                            () -> report(true),
                            view(seenUp),
                            Clock.systemUTC())
                    .start());
            // ap-south never votes
            TestHttp http = new TestHttp(gateway.url());
            String reader = Fixtures.token("acme", "session:read");

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                JsonNode body = Fixtures.json(http.get("/api/v1/regions", "Authorization", reader));
                assertThat(body.path("region").asText()).isEqualTo("eu-west");
                assertThat(body.path("role").asText()).isEqualTo("secondary");
                assertThat(body.path("primary").asText()).isEqualTo("us-east");
                assertThat(body.path("epoch").asLong()).isEqualTo(1);
                assertThat(body.path("regions").get(0).path("status").asText()).isEqualTo("healthy");
                assertThat(body.path("regions").get(1).path("fresh").asBoolean())
                        .isTrue();
            });
            HttpResponse<String> answer = http.get("/api/v1/regions", "Authorization", reader);
            assertThat(answer.statusCode()).isEqualTo(200);
            JsonNode body = Fixtures.json(answer);
            assertThat(body.path("regions"))
                    .extracting(r -> r.path("region").asText())
                    .containsExactly("us-east", "eu-west", "ap-south");
            JsonNode usEast = body.path("regions").get(0);
            assertThat(usEast.path("healthy").asBoolean()).isTrue();
            assertThat(usEast.path("age_ms").asLong()).isBetween(0L, 3_000L);
            assertThat(usEast.path("primary_view").asText()).isEqualTo("us-east");
            JsonNode apSouth = body.path("regions").get(2);
            assertThat(apSouth.path("status").asText()).isEqualTo("no_vote");
            assertThat(apSouth.has("age_ms")).isFalse();

            // us-east turns unhealthy and eu-west sees it: two of three, so eu-west becomes primary at epoch 2
            usEastUp.set(false);
            seenUp.set(false);
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                JsonNode now = Fixtures.json(http.get("/api/v1/regions", "Authorization", reader));
                assertThat(now.path("primary").asText()).isEqualTo("eu-west");
                assertThat(now.path("epoch").asLong()).isEqualTo(2);
                assertThat(now.path("role").asText()).isEqualTo("primary");
                assertThat(now.path("regions").get(0).path("status").asText()).isEqualTo("unhealthy");
            });

            // writes are accepted in any region and say the region's role
            HttpResponse<String> write = http.post(
                    Fixtures.UPDATE,
                    Fixtures.update(Fixtures.newSession(), "from eu-west", "2025-05-15T10:00:00Z"),
                    "Authorization",
                    Fixtures.token("acme", "session:write"),
                    "Content-Type",
                    "application/json");
            assertThat(write.statusCode()).isEqualTo(200);
            assertThat(write.headers().firstValue(RegionRoleHeader.HEADER)).contains("primary");
            assertThat(http.get("/api/v1/regions").statusCode()).isEqualTo(401);
            assertThat(http.get("/api/v1/regions", "Authorization", Fixtures.token("acme", "session:write"))
                            .statusCode())
                    .isEqualTo(403);
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                open.get(i).close();
            }
        }
    }
}
