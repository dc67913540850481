package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Checkpoint reads through the gateway with two real checkpoint topology instances and two gateways,
 * each gateway asking a different instance: read-your-writes across gateways (the first read after a
 * write sees it), never regressing, and 503 when the topology cannot be reached.
 */
@ExtendWith(SharedInfra.class)
class CheckpointReadIT {

    private static final String WRITE = Fixtures.token("acme", "session:write");
    private static final String READ = Fixtures.token("acme", "session:read");

    private static final List<AutoCloseable> OPEN = new ArrayList<>();
    private static Fixtures.CheckpointTopologyInstance one;
    private static Fixtures.CheckpointTopologyInstance two;
    private static TestHttp gatewayA;
    private static TestHttp gatewayB;
    private static TestHttp noTopology;
    private static TestHttp firstDown;

    @BeforeAll
    static void start() throws IOException {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String prefix = SharedInfra.uniqueName("checkpointread") + ".";
        TopicCatalog catalog = Fixtures.catalog(prefix);
        Fixtures.bootstrap(bootstrap, catalog);
        one = Fixtures.startCheckpointTopology(bootstrap, prefix, catalog);
        OPEN.add(one);
        two = Fixtures.startCheckpointTopology(bootstrap, prefix, catalog);
        OPEN.add(two);
        gatewayA = new TestHttp(gateway(bootstrap, prefix, one.url()).url());
        gatewayB = new TestHttp(gateway(bootstrap, prefix, two.url()).url());
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        noTopology = new TestHttp(
                gateway(bootstrap, prefix, "http://127.0.0.1:" + closedPort).url());
        firstDown = new TestHttp(gateway(bootstrap, prefix, "http://127.0.0.1:" + closedPort + ", " + one.url())
                .url());
        await().atMost(Duration.ofSeconds(90))
                .until(() -> one.streams().isRunning()
                        && two.streams().isRunning()
                        && activeTasks(one) > 0
                        && activeTasks(two) > 0);
    }

    private static GatewayServer gateway(String bootstrap, String prefix, String queryUrl) {
        Map<String, Object> properties = Fixtures.properties(bootstrap, prefix);
        properties.put("splitguard.gateway.checkpoint.query-url", queryUrl);
        properties.put("splitguard.gateway.checkpoint.query-timeout", "3s");
        GatewayServer server = Fixtures.start(properties);
        OPEN.add(server);
        return server;
    }

    private static int activeTasks(Fixtures.CheckpointTopologyInstance instance) {
        return instance.streams().kafkaStreams().metadataForLocalThreads().stream()
                .mapToInt(t -> t.activeTasks().size())
                .sum();
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : OPEN) {
            c.close();
        }
    }

    private static JsonNode write(TestHttp via, String session, long sequence, String queue) {
        String body = "{\"session_id\":\"" + session + "\",\"region\":\"eu-west-1\",\"checkpoint_id\":\"chk_" + sequence
                + "\",\"variables\":{\"queue\":\"" + queue + "\",\"ui_state\":\"x\"}}";
        HttpResponse<String> r = via.post(
                "/api/v2/sessions/" + session + "/state/checkpoint",
                body.getBytes(StandardCharsets.UTF_8),
                "Content-Type",
                "application/json",
                "Authorization",
                WRITE);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Fixtures.json(r);
    }

    private static HttpResponse<String> read(TestHttp via, String session, String position) {
        String query = position == null ? "" : "?position=" + URLEncoder.encode(position, StandardCharsets.UTF_8);
        return via.get("/api/v2/sessions/" + session + "/state/latest" + query, "Authorization", READ);
    }

    @Test
    void shouldSeeTheLatestWriteOnTheFirstReadThroughAnotherGatewayWhenTheReadCarriesTheWritesPosition() {
        Set<Integer> partitions = new HashSet<>();
        for (int i = 0; i < 9; i++) {
            String session = Fixtures.newSession();
            write(gatewayA, session, 10, "first");
            JsonNode latest = write(gatewayB, session, 20, "second");
            partitions.add(Integer.parseInt(latest.path("position").asText().split(":")[0]));

            for (TestHttp via : List.of(gatewayA, gatewayB)) {
                HttpResponse<String> r =
                        read(via, session, latest.path("position").asText());

                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                JsonNode answer = Fixtures.json(r);
                assertThat(answer.path("restore").asBoolean()).as(r.body()).isTrue();
                assertThat(answer.path("sequence").asLong()).isEqualTo(20);
                assertThat(answer.path("checkpoint_id").asText()).isEqualTo("chk_20");
                assertThat(answer.path("region").asText()).isEqualTo("eu-west-1");
                assertThat(answer.path("schema_version").asInt()).isEqualTo(1);
                assertThat(answer.path("variables").toString()).isEqualTo("{\"queue\":\"second\"}");
                assertThat(answer.has("migrated_from")).isFalse();
            }

            // a late checkpoint from a lagging region is acknowledged but never served over the newer one
            JsonNode stale = write(gatewayA, session, 15, "stale");
            HttpResponse<String> after =
                    read(gatewayB, session, stale.path("position").asText());
            assertThat(Fixtures.json(after).path("sequence").asLong())
                    .as(after.body())
                    .isEqualTo(20);
        }
        // sessions of several partitions, so both topology instances owned some and forwarded others
        assertThat(partitions).hasSizeGreaterThan(1);
    }

    @Test
    void shouldAnswerRestoreFalseWithReasonNoneWhenTheSessionHasNoCheckpoint() {
        HttpResponse<String> r = read(gatewayA, Fixtures.newSession(), null);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode answer = Fixtures.json(r);
        assertThat(answer.path("restore").asBoolean()).isFalse();
        assertThat(answer.path("reason").asText()).isEqualTo("none");
        assertThat(answer.path("fallback").asText()).isEqualTo("initialize_defaults");
    }

    @Test
    void shouldAnswer503WithRetryAfterWhenTheCheckpointTopologyCannotBeReached() {
        HttpResponse<String> r = read(noTopology, Fixtures.newSession(), null);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        assertThat(Fixtures.json(r).path("type").asText())
                .isEqualTo("https://splitguard.io/problems/checkpoint-store-unavailable");
    }

    @Test
    void shouldAskTheNextInstanceWhenTheFirstConfiguredOneCannotBeReached() {
        String session = Fixtures.newSession();
        JsonNode written = write(gatewayA, session, 7, "menu");

        // the questions rotate over both URLs: every one of them must end on the reachable instance
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r =
                    read(firstDown, session, written.path("position").asText());

            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(Fixtures.json(r).path("sequence").asLong()).isEqualTo(7);
        }
    }

    @Test
    void shouldAnswer400WhenThePositionIsMalformed() {
        assertThat(read(gatewayA, Fixtures.newSession(), "12").statusCode()).isEqualTo(400);
    }
}
