package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.CheckpointRequest;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code POST .../state/checkpoint} against a real broker: 200 only with the record on checkpoints-in
 * (keyed by session id, transient variables gone), every refusal answered and nothing recorded.
 */
@ExtendWith(SharedInfra.class)
class CheckpointWriteIT {

    private static String bootstrap;
    private static TopicCatalog catalog;
    private static GatewayServer gateway;
    private static GatewayServer customExclusions;
    private static GatewayServer kafkaDown;
    private static TestHttp http;
    private static TestHttp httpCustom;
    private static TestHttp httpDown;
    private static final String WRITE = Fixtures.token("acme", "session:write");

    @BeforeAll
    static void start() throws IOException {
        bootstrap = SharedInfra.kafka().bootstrapServers();
        String prefix = SharedInfra.uniqueName("checkpointwrite") + ".";
        catalog = Fixtures.catalog(prefix);
        Fixtures.bootstrap(bootstrap, catalog);
        gateway = Fixtures.start(Fixtures.properties(bootstrap, prefix));
        http = new TestHttp(gateway.url());

        Map<String, Object> custom = Fixtures.properties(bootstrap, prefix);
        custom.put("splitguard.gateway.checkpoint.excluded-variables", "pin_entry, ui_state");
        customExclusions = Fixtures.start(custom);
        httpCustom = new TestHttp(customExclusions.url());

        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        Map<String, Object> down = Fixtures.properties("127.0.0.1:" + closedPort, prefix);
        down.put("splitguard.gateway.delivery-timeout", "2s");
        kafkaDown = Fixtures.start(down);
        httpDown = new TestHttp(kafkaDown.url());
    }

    @AfterAll
    static void stop() {
        for (GatewayServer g : new GatewayServer[] {gateway, customExclusions, kafkaDown}) {
            if (g != null) {
                g.close();
            }
        }
    }

    private static String path(String session) {
        return "/api/v2/sessions/" + session + "/state/checkpoint";
    }

    private static HttpResponse<String> post(TestHttp client, String session, String body, String token) {
        List<String> headers = new ArrayList<>(List.of("Content-Type", "application/json"));
        if (token != null) {
            headers.add("Authorization");
            headers.add(token);
        }
        return client.post(path(session), body.getBytes(StandardCharsets.UTF_8), headers.toArray(String[]::new));
    }

    private static String body(String session, String checkpointId, String variables, String more) {
        return "{\"session_id\":\"" + session + "\",\"region\":\"us-east-1\",\"checkpoint_id\":\"" + checkpointId
                + "\",\"variables\":" + variables + more + "}";
    }

    @Test
    void shouldAnswer200OnlyWithTheCheckpointOnTheTopicWithoutItsTransientVariablesWhenValid() throws IOException {
        String session = Fixtures.newSession();
        String variables = "{\"queue\":\"billing\",\"crm_record_id\":\"0015g00000XyZ\",\"auth_status\":\"verified\","
                + "\"retry_count\":2,\"nested\":{\"ui_state\":\"kept below the top level\"},"
                + "\"last_menu_selection\":\"2\",\"typing_indicator\":true,\"ui_state\":{\"tab\":3}}";

        HttpResponse<String> r = post(
                http,
                session,
                body(session, "chk_1715788320", variables, ",\"schema_version\":2,\"flow_version\":\"billing-ivr-7\""),
                WRITE);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode answer = Fixtures.json(r);
        assertThat(answer.path("session_id").asText()).isEqualTo(session);
        assertThat(answer.path("checkpoint_id").asText()).isEqualTo("chk_1715788320");
        assertThat(answer.path("sequence").asLong()).isEqualTo(1715788320L);
        assertThat(answer.path("status").asText()).isEqualTo("accepted");
        List<ConsumerRecord<String, CheckpointRequest>> records = recordsOf(session);
        assertThat(records).hasSize(1);
        ConsumerRecord<String, CheckpointRequest> record = records.get(0);
        assertThat(answer.path("position").asText()).isEqualTo(record.partition() + ":" + record.offset());
        assertThat(record.key()).isEqualTo(session);
        CheckpointRequest value = record.value();
        assertThat(value.sessionId()).isEqualTo(session);
        assertThat(value.region()).isEqualTo("us-east-1");
        assertThat(value.checkpointId()).isEqualTo("chk_1715788320");
        assertThat(value.sequence()).isEqualTo(1715788320L);
        assertThat(value.schemaVersion()).isEqualTo(2);
        assertThat(value.flowVersion()).isEqualTo("billing-ivr-7");
        assertThat(value.ttlSeconds()).isEqualTo(CheckpointRequest.DEFAULT_TTL_SECONDS);
        assertThat(value.requestId()).isNotBlank();
        assertThat(value.variables())
                .isEqualTo(Json.mapper()
                        .readTree("{\"queue\":\"billing\",\"crm_record_id\":\"0015g00000XyZ\","
                                + "\"auth_status\":\"verified\",\"retry_count\":2,"
                                + "\"nested\":{\"ui_state\":\"kept below the top level\"}}"));
    }

    @Test
    void shouldDropTheConfiguredVariablesInsteadOfTheDefaultsWhenTheExclusionListIsConfigured() throws IOException {
        String session = Fixtures.newSession();
        HttpResponse<String> r = post(
                httpCustom,
                session,
                body(
                        session,
                        "chk_7",
                        "{\"queue\":\"billing\",\"pin_entry\":\"1234\",\"ui_state\":\"x\",\"last_menu_selection\":\"2\"}",
                        ",\"sequence\":9,\"ttl_seconds\":60"),
                WRITE);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(Fixtures.json(r).path("sequence").asLong()).isEqualTo(9);
        List<ConsumerRecord<String, CheckpointRequest>> records = recordsOf(session);
        assertThat(records).hasSize(1);
        assertThat(records.get(0).value().variables())
                .isEqualTo(Json.mapper().readTree("{\"queue\":\"billing\",\"last_menu_selection\":\"2\"}"));
        assertThat(records.get(0).value().sequence()).isEqualTo(9);
        assertThat(records.get(0).value().ttlSeconds()).isEqualTo(60);
    }

    @Test
    void shouldAnswer400AndRecordNothingWhenThePathAndBodySessionsDiffer() {
        String session = Fixtures.newSession();
        String other = Fixtures.newSession();

        HttpResponse<String> r = post(http, session, body(other, "chk_1", "{}", ""), WRITE);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.headers().firstValue("Content-Type")).get().asString().startsWith("application/problem+json");
        assertThat(Fixtures.json(r).path("type").asText()).isEqualTo("https://splitguard.io/problems/session-mismatch");
        assertThat(recordsOf(session)).isEmpty();
        assertThat(recordsOf(other)).isEmpty();
    }

    @Test
    void shouldAnswer422AndRecordNothingWhenTheCheckpointIsInvalid() {
        String session = Fixtures.newSession();
        Map<String, String> invalid = new HashMap<>();
        invalid.put("variables not an object", body(session, "chk_1", "[1]", ""));
        invalid.put(
                "region missing", "{\"session_id\":\"" + session + "\",\"checkpoint_id\":\"chk_1\",\"variables\":{}}");
        invalid.put("ttl out of range", body(session, "chk_1", "{}", ",\"ttl_seconds\":0"));
        invalid.put("no sequence to derive", body(session, "chk_after_auth", "{}", ""));
        invalid.put("sequence beyond a long", body(session, "chk_99999999999999999999999", "{}", ""));
        invalid.put("unstorable variable", body(session, "chk_1", "{\"note\":\"nul \\u0000 here\"}", ""));

        invalid.forEach((why, body) -> {
            HttpResponse<String> r = post(http, session, body, WRITE);
            assertThat(r.statusCode()).as(why + ": " + r.body()).isEqualTo(422);
            assertThat(Fixtures.json(r).path("errors").isArray()).as(why).isTrue();
        });
        assertThat(recordsOf(session)).isEmpty();
    }

    @Test
    void shouldAnswer401Or403AndRecordNothingWhenTheTokenIsMissingOrLacksTheWriteScope() {
        String session = Fixtures.newSession();
        String valid = body(session, "chk_5", "{\"queue\":\"billing\"}", "");

        assertThat(post(http, session, valid, null).statusCode()).isEqualTo(401);
        assertThat(post(http, session, valid, Fixtures.token("acme", "session:read"))
                        .statusCode())
                .isEqualTo(403);
        assertThat(recordsOf(session)).isEmpty();
    }

    @Test
    void shouldAnswer503WithRetryAfterAndNotRecordedWhenKafkaIsUnreachable() {
        String session = Fixtures.newSession();

        HttpResponse<String> r = post(httpDown, session, body(session, "chk_5", "{\"queue\":\"billing\"}", ""), WRITE);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        assertThat(r.headers().firstValue("Content-Type")).get().asString().startsWith("application/problem+json");
        assertThat(Fixtures.json(r).path("outcome").asText()).isEqualTo("not_recorded");
        assertThat(recordsOf(session)).isEmpty();
    }

    /** Every committed record of checkpoints-in keyed by {@code session}. */
    private static List<ConsumerRecord<String, CheckpointRequest>> recordsOf(String session) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<String, CheckpointRequest>> found = new ArrayList<>();
        try (KafkaConsumer<String, CheckpointRequest> consumer = new KafkaConsumer<>(
                config,
                catalog.checkpointsIn.keySerde().deserializer(),
                catalog.checkpointsIn.valueSerde().deserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int i = 0; i < catalog.sessionPartitions(); i++) {
                partitions.add(new TopicPartition(catalog.checkpointsIn.name(), i));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!reached(consumer, end)) {
                assertThat(System.nanoTime())
                        .as("read checkpoints-in to its end")
                        .isLessThan(deadline);
                for (ConsumerRecord<String, CheckpointRequest> r : consumer.poll(Duration.ofMillis(200))) {
                    if (session.equals(r.key())) {
                        found.add(r);
                    }
                }
            }
        }
        return found;
    }

    private static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
