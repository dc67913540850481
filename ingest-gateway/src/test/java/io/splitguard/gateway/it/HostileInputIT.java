package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.BeforeProperty;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Property-based: random and malformed bodies, keys and paths thrown at every write endpoint of a gateway
 * on the real broker. Whatever arrives, the answer is never a 5xx, a refusal is always {@code
 * application/problem+json}, and nothing reaches any input topic (the end offsets of mutations-in,
 * checkpoints-in and lease commands do not move during a property).
 */
class HostileInputIT {

    private static final List<String> WRITES = List.of(
            "/api/v2/integrations/crm/contact/update",
            "/api/v2/webhooks/genesys",
            "/api/v2/webhooks/cxone",
            "/api/v2/sessions/sess-hostile/state/checkpoint",
            "/api/v1/state/locks/acquire",
            "/api/v1/state/locks/heartbeat",
            "/api/v1/state/locks/release");

    private static String bootstrap;
    private static TopicCatalog catalog;
    private static Fixtures.CheckpointTopologyInstance checkpoints;
    private static GatewayServer gateway;
    private static TestHttp http;
    private static String token;
    private static long offsetsBefore;

    @BeforeContainer
    static void start() throws Exception {
        bootstrap = SharedInfra.kafka().bootstrapServers();
        String prefix = SharedInfra.uniqueName("hostile") + ".";
        catalog = Fixtures.catalog(prefix);
        Fixtures.bootstrap(bootstrap, catalog);
        checkpoints = Fixtures.startCheckpointTopology(bootstrap, prefix, catalog);
        await().atMost(Duration.ofSeconds(60)).until(checkpoints.streams()::isRunning);
        Map<String, Object> properties = Fixtures.properties(bootstrap, prefix);
        properties.put("splitguard.gateway.checkpoint.query-url", checkpoints.url());
        // the properties send thousands of requests from one client
        properties.put("splitguard.gateway.rate-limit.enabled", false);
        gateway = Fixtures.start(properties);
        http = new TestHttp(gateway.url());
        token = Fixtures.token("hostile", "session:write", "session:read");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> http.get("/health/ready").statusCode() == 200);
    }

    @AfterContainer
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (checkpoints != null) {
            checkpoints.close();
        }
    }

    @BeforeProperty
    void rememberOffsets() {
        offsetsBefore = inputEndOffsets();
    }

    @AfterProperty
    void nothingWasWritten() {
        assertThat(inputEndOffsets()).as("records on the input topics").isEqualTo(offsetsBefore);
    }

    @Property(tries = 150)
    void shouldRefuseWithAProblemAndWriteNothingWhenTheBodyIsArbitraryBytes(
            @ForAll("writes") String path, @ForAll("junk") byte[] body) {
        HttpResponse<String> r = http.post(path, body, "Authorization", token, "Content-Type", "application/json");

        assertRefused(r);
    }

    @Property(tries = 150)
    void shouldRefuseWithAProblemAndWriteNothingWhenTheJsonIsMalformedOrOfTheWrongShape(
            @ForAll("writes") String path, @ForAll("wrongJson") String body) {
        HttpResponse<String> r = http.post(
                path,
                body.getBytes(StandardCharsets.UTF_8),
                "Authorization",
                token,
                "Content-Type",
                "application/json",
                "Idempotency-Key",
                "hostile-key");

        assertRefused(r);
    }

    @Property(tries = 60)
    void shouldRefuseWithAProblemAndWriteNothingWhenTheIdempotencyKeyIsTooLong(@ForAll("longKeys") String key) {
        byte[] valid = Fixtures.update("sess-hostile-key", "valid body", null);
        HttpResponse<String> r = http.post(
                "/api/v2/integrations/crm/contact/update",
                valid,
                "Authorization",
                token,
                "Content-Type",
                "application/json",
                "Idempotency-Key",
                key);

        assertRefused(r);
        assertThat(r.statusCode()).isEqualTo(400);
    }

    @Property(tries = 100)
    void shouldNeverAnswer5xxWhenReadPathsCarryArbitrarySegments(@ForAll("segments") String segment) {
        String encoded = URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
        for (String path : List.of(
                "/api/v2/sessions/" + encoded + "/state/latest",
                "/api/v2/idempotency/" + encoded,
                "/api/v2/webhooks/" + encoded)) {
            HttpResponse<String> r = path.startsWith("/api/v2/webhooks/")
                    ? http.post(
                            path,
                            "{}".getBytes(StandardCharsets.UTF_8),
                            "Authorization",
                            token,
                            "Content-Type",
                            "application/json")
                    : http.get(path, "Authorization", token);
            assertThat(r.statusCode()).as(path + " -> " + r.body()).isLessThan(500);
            if (r.statusCode() >= 400) {
                assertThat(r.headers().firstValue("Content-Type"))
                        .as(path)
                        .get()
                        .asString()
                        .startsWith("application/problem+json");
            }
        }
    }

    @Provide
    Arbitrary<String> writes() {
        return Arbitraries.of(WRITES);
    }

    @Provide
    Arbitrary<byte[]> junk() {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(400);
    }

    /** Not a document any endpoint takes: broken JSON, scalars, arrays, objects with wrong or missing members. */
    @Provide
    Arbitrary<String> wrongJson() {
        Arbitrary<String> text = Arbitraries.strings().ofMaxLength(40);
        Arbitrary<String> broken = text.map(t -> "{\"session_id\": \"" + t.replace("\"", "") + "\", ");
        Arbitrary<String> scalars = Arbitraries.oneOf(
                Arbitraries.integers().map(Object::toString),
                text.map(t -> "\"" + t.replace("\"", "").replace("\\", "") + "\""),
                Arbitraries.of("null", "true", "false", "[]", "[1,2,3]", "{}", "[{}]"));
        Arbitrary<String> wrongTypes = Combinators.combine(
                        Arbitraries.of(
                                "session_id",
                                "contact_id",
                                "operation",
                                "payload",
                                "resource_id",
                                "lock_token",
                                "region",
                                "checkpoint_id",
                                "variables",
                                "ttl_seconds",
                                "sequence",
                                "lock_ttl_ms"),
                        Arbitraries.of("null", "12", "-1", "[]", "true", "{\"a\":{\"b\":[null]}}", "\"\\u0000\""))
                .as((member, value) -> "{\"" + member + "\":" + value + "}");
        Arbitrary<String> nested =
                Arbitraries.integers().between(50, 400).map(depth -> "[".repeat(depth) + "]".repeat(depth));
        return Arbitraries.oneOf(broken, scalars, wrongTypes, nested);
    }

    @Provide
    Arbitrary<String> longKeys() {
        return Arbitraries.strings().withCharRange('!', '~').ofMinLength(256).ofMaxLength(3000);
    }

    @Provide
    Arbitrary<String> segments() {
        return Arbitraries.oneOf(
                Arbitraries.strings().ofMinLength(1).ofMaxLength(60),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(300).ofMaxLength(2000),
                Arbitraries.of("..", ".", "%00", "a/b", "\u0000", "\uD800", "\u202E", " ", "null"));
    }

    private static void assertRefused(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isBetween(400, 499);
        assertThat(r.headers().firstValue("Content-Type")).get().asString().startsWith("application/problem+json");
    }

    private static long inputEndOffsets() {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic :
                    List.of(catalog.mutationsIn.name(), catalog.checkpointsIn.name(), catalog.leaseCommands.name())) {
                for (int p = 0; p < catalog.sessionPartitions(); p++) {
                    partitions.add(new TopicPartition(topic, p));
                }
            }
            return consumer.endOffsets(partitions).values().stream()
                    .mapToLong(Long::longValue)
                    .sum();
        }
    }
}
