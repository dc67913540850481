package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.schemas.model.IdempotencyKeys;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The idempotency contract and the error answers of the gateway, against a real broker. */
@ExtendWith(SharedInfra.class)
class GatewayIT {

    private static final String JSON = "application/json";
    private static String bootstrap;
    private static TopicCatalog catalog;
    private static GatewayServer gateway;
    private static TestHttp http;
    private static String writer;

    @BeforeAll
    static void start() {
        bootstrap = SharedInfra.kafka().bootstrapServers();
        String prefix = SharedInfra.uniqueName("gateway") + ".";
        catalog = Fixtures.catalog(prefix);
        Fixtures.bootstrap(bootstrap, catalog);
        gateway = Fixtures.start(Fixtures.properties(bootstrap, prefix));
        http = new TestHttp(gateway.url());
        writer = Fixtures.token("acme", "session:write", "session:read");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> http.get("/health/ready").statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private static HttpResponse<String> post(byte[] body, String... extraHeaders) {
        List<String> headers = new ArrayList<>(List.of("Authorization", writer, "Content-Type", JSON));
        headers.addAll(Arrays.asList(extraHeaders));
        return http.post(Fixtures.UPDATE, body, headers.toArray(String[]::new));
    }

    private static void assertProblem(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type"))
                .get()
                .asString()
                .startsWith("application/problem+json");
        JsonNode problem = Fixtures.json(response);
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        assertThat(problem.path("type").asText()).isNotBlank();
        assertThat(problem.path("title").asText()).isNotBlank();
    }

    @Test
    void shouldAcceptTheFirstDeliveryAndAnswerAReplayTheSameWithoutANewRecord() {
        String session = Fixtures.newSession();
        String key = "key-" + UUID.randomUUID();
        byte[] body = Fixtures.update(session, "first", "2025-05-15T10:00:00Z");

        HttpResponse<String> first = post(body, "Idempotency-Key", key);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
        JsonNode json = Fixtures.json(first);
        assertThat(json.path("idempotency_key").asText()).isEqualTo(key);
        assertThat(json.path("session_id").asText()).isEqualTo(session);
        assertThat(json.path("payload_hash").asText()).matches("sha256:[0-9a-f]{64}");
        assertThat(json.path("status").asText()).isEqualTo("accepted");
        assertThat(Instant.parse(json.path("received_at").asText()))
                .isBefore(Instant.now().plusSeconds(1));
        assertThat(json.has("key_derived")).isFalse();

        HttpResponse<String> replay = post(body, "Idempotency-Key", key);
        assertThat(replay.statusCode()).isEqualTo(200);
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(replay.body()).isEqualTo(first.body());

        List<MutationRequest> records = Fixtures.mutationsWithKey(bootstrap, catalog, key);
        assertThat(records).hasSize(1);
        MutationRequest record = records.get(0);
        assertThat(record.tenant()).isEqualTo("acme");
        assertThat(record.sessionId()).isEqualTo(session);
        assertThat(record.scopedKey()).isEqualTo(IdempotencyKeys.scoped("acme", "crm.contact.update", session, key));
        assertThat(record.payloadHash()).isEqualTo(json.path("payload_hash").asText());
        assertThat(record.keyDerived()).isFalse();
        assertThat(record.body().path("payload").path("notes").asText()).isEqualTo("first");
    }

    @Test
    void shouldAnswer422AndWriteNothingWhenTheSameKeyComesWithAnotherPayload() {
        String session = Fixtures.newSession();
        String key = "key-" + UUID.randomUUID();
        assertThat(post(Fixtures.update(session, "one", null), "Idempotency-Key", key)
                        .statusCode())
                .isEqualTo(200);

        HttpResponse<String> other = post(Fixtures.update(session, "two", null), "Idempotency-Key", key);
        assertProblem(other, 422);
        assertThat(Fixtures.mutationsWithKey(bootstrap, catalog, key)).hasSize(1);
    }

    @Test
    void shouldGiveOneFreshAnswerAndOtherwiseReplaysOrConflictsWhenOneKeyIsDeliveredConcurrently() {
        String session = Fixtures.newSession();
        String key = "key-" + UUID.randomUUID();
        byte[] body = Fixtures.update(session, "race", null);
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            calls.add(http.postAsync(
                    Fixtures.UPDATE, body, "Authorization", writer, "Content-Type", JSON, "Idempotency-Key", key));
        }
        int fresh = 0;
        for (CompletableFuture<HttpResponse<String>> call : calls) {
            HttpResponse<String> r = call.join();
            if (r.statusCode() == 409) {
                assertProblem(r, 409);
                assertThat(r.headers().firstValue("Retry-After")).contains("1");
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                if (r.headers().firstValue("Idempotent-Replayed").isEmpty()) {
                    fresh++;
                }
            }
        }
        assertThat(fresh).isEqualTo(1);
        assertThat(Fixtures.mutationsWithKey(bootstrap, catalog, key)).hasSize(1);
    }

    @Test
    void shouldDeriveTheKeyFromSessionOperationAndTimestampWhenTheHeaderIsMissing() {
        String session = Fixtures.newSession();
        HttpResponse<String> first = post(Fixtures.update(session, "derived", "2025-05-15T10:00:00.250Z"));
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        JsonNode json = Fixtures.json(first);
        String expected = IdempotencyKeys.derive(
                session, "UPDATE_CONTACT", Instant.parse("2025-05-15T10:00:00Z").truncatedTo(ChronoUnit.SECONDS));
        assertThat(json.path("idempotency_key").asText()).isEqualTo(expected);
        assertThat(json.path("key_derived").asBoolean()).isTrue();

        HttpResponse<String> again = post(Fixtures.update(session, "derived", "2025-05-15T10:00:00.900Z"));
        // same content, timestamp differing only in milliseconds: a platform retry, answered as a replay
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(again.body()).isEqualTo(first.body());

        HttpResponse<String> other = post(Fixtures.update(session, "other content", "2025-05-15T10:00:00.500Z"));
        assertProblem(other, 422);
        assertThat(Fixtures.json(other).path("type").asText()).contains("derived-key-conflict");
        assertThat(Fixtures.json(other).path("detail").asText()).contains("Idempotency-Key");
        assertThat(Fixtures.mutationsWithKey(bootstrap, catalog, expected))
                .singleElement()
                .satisfies(r -> assertThat(r.keyDerived()).isTrue());
    }

    @Test
    void shouldAnswer422AndWriteNothingWhenTheDatabaseCannotStoreTheBody() {
        String session = Fixtures.newSession();
        String[] hostile = {
            "{\"session_id\":\"" + session + "\",\"contact_id\":\"c\",\"operation\":\"UPDATE_NOTES\","
                    + "\"payload\":{\"notes\":\"a\\u0000b\"}}",
            "{\"session_id\":\"" + session + "\",\"contact_id\":\"c\",\"operation\":\"UPDATE_NOTES\","
                    + "\"payload\":{\"notes\":\"x\\ud800y\"}}",
            "{\"session_id\":\"" + session + "\",\"contact_id\":\"c\",\"operation\":\"UPDATE_NOTES\","
                    + "\"payload\":{\"n\":1e200000}}",
            "{\"session_id\":\"" + session + "\",\"contact_id\":\"c\",\"operation\":\"UPDATE_NOTES\","
                    + "\"payload\":{\"k\\u0000\":1}}"
        };
        for (int i = 0; i < hostile.length; i++) {
            String key = "hostile-" + i + "-" + UUID.randomUUID();
            HttpResponse<String> r = post(hostile[i].getBytes(StandardCharsets.UTF_8), "Idempotency-Key", key);
            assertProblem(r, 422);
            assertThat(Fixtures.json(r).path("type").asText()).as(hostile[i]).contains("unstorable-content");
            assertThat(Fixtures.json(r).path("errors").get(0).asText()).startsWith("/payload/");
            assertThat(Fixtures.mutationsWithKey(bootstrap, catalog, key)).isEmpty();
        }
    }

    @Test
    void shouldAnswer400WhenTheHeaderAndTheTimestampAreMissing() {
        assertProblem(post(Fixtures.update(Fixtures.newSession(), "no-ts", null)), 400);
    }

    @Test
    void shouldCarryTheFencingTokenToTheTopicAndRefuseAMalformedOne() {
        String session = Fixtures.newSession();
        String key = "key-" + UUID.randomUUID();
        byte[] body = Fixtures.update(session, "fenced", null);

        assertProblem(post(body, "Idempotency-Key", key, "X-Fencing-Token", "-3"), 400);
        assertProblem(post(body, "Idempotency-Key", key, "X-Fencing-Token", "0"), 400);
        assertProblem(post(body, "Idempotency-Key", key, "X-Fencing-Token", "12x"), 400);
        HttpResponse<String> ok = post(body, "Idempotency-Key", key, "X-Fencing-Token", "41");

        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        List<MutationRequest> records = Fixtures.mutationsWithKey(bootstrap, catalog, key);
        assertThat(records).singleElement().satisfies(r -> assertThat(r.fencingToken())
                .isEqualTo(41L));
    }

    @Test
    void shouldAnswer400WhenTheKeyIsOverlongOrEmpty() {
        byte[] body = Fixtures.update(Fixtures.newSession(), "x", null);
        assertProblem(post(body, "Idempotency-Key", "k".repeat(256)), 400);
    }

    @Test
    void shouldReturnTheRecordedOutcomeOr404WhenAKeyIsLookedUp() {
        String session = Fixtures.newSession();
        String key = "lookup-" + UUID.randomUUID();
        HttpResponse<String> first = post(Fixtures.update(session, "lookup", null), "Idempotency-Key", key);
        assertThat(first.statusCode()).isEqualTo(200);

        String path = "/api/v2/idempotency/" + URLEncoder.encode(key, StandardCharsets.UTF_8);
        HttpResponse<String> found = http.get(path, "Authorization", Fixtures.token("acme", "session:read"));
        assertThat(found.statusCode()).as(found.body()).isEqualTo(200);
        JsonNode json = Fixtures.json(found);
        assertThat(json.path("idempotency_key").asText()).isEqualTo(key);
        assertThat(json.path("session_id").asText()).isEqualTo(session);
        assertThat(json.path("payload_hash").asText())
                .isEqualTo(Fixtures.json(first).path("payload_hash").asText());
        assertThat(json.path("status").asText()).isIn("accepted", "applied");

        // another tenant does not see it
        assertProblem(http.get(path, "Authorization", Fixtures.token("other", "session:read")), 404);
        HttpResponse<String> unknown =
                http.get("/api/v2/idempotency/never-used", "Authorization", Fixtures.token("acme", "session:read"));
        assertProblem(unknown, 404);
        // no database lookup configured here: the 404 says it reflects this instance's memory only
        assertThat(Fixtures.json(unknown).path("answered_from").asText()).isEqualTo("instance_memory");
        assertThat(Fixtures.json(unknown).path("detail").asText()).contains("This instance's memory");
        // a write-only token may not read
        assertProblem(http.get(path, "Authorization", Fixtures.token("acme", "session:write")), 403);
    }

    @Test
    void shouldAnswer400WhenTheJsonIsMalformed() {
        assertProblem(post("{\"session_id\": ".getBytes(StandardCharsets.UTF_8), "Idempotency-Key", "m1"), 400);
    }

    @Test
    void shouldAnswer415WhenTheMediaTypeIsWrong() {
        HttpResponse<String> r = http.post(
                Fixtures.UPDATE,
                Fixtures.update(Fixtures.newSession(), "x", null),
                "Authorization",
                writer,
                "Content-Type",
                "text/plain",
                "Idempotency-Key",
                "m2");
        assertProblem(r, 415);
    }

    @Test
    void shouldAnswer413BeforeAnyParsingWhenTheBodyIsOversized() {
        byte[] big = new byte[70 * 1024];
        Arrays.fill(big, (byte) '{'); // not JSON at all: a 400 would mean it was parsed
        assertProblem(post(big, "Idempotency-Key", "m3"), 413);
    }

    @Test
    void shouldAnswer422WithTheViolationsWhenTheBodyIsSchemaInvalid() {
        byte[] body = "{\"session_id\":\"bad session!\",\"operation\":\"lower\",\"payload\":{},\"extra\":1}"
                .getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> r = post(body, "Idempotency-Key", "m4");
        assertProblem(r, 422);
        assertThat(Fixtures.json(r).path("errors").size()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void shouldAnswer401WithoutATokenAnd403WithAReadOnlyToken() {
        byte[] body = Fixtures.update(Fixtures.newSession(), "x", null);
        assertProblem(http.post(Fixtures.UPDATE, body, "Content-Type", JSON, "Idempotency-Key", "a1"), 401);
        assertProblem(
                http.post(
                        Fixtures.UPDATE,
                        body,
                        "Content-Type",
                        JSON,
                        "Idempotency-Key",
                        "a1",
                        "Authorization",
                        "Bearer not-a-jwt"),
                401);
        assertProblem(
                http.post(
                        Fixtures.UPDATE,
                        body,
                        "Content-Type",
                        JSON,
                        "Idempotency-Key",
                        "a1",
                        "Authorization",
                        Fixtures.token("acme", "session:read")),
                403);
    }

    @Test
    void shouldAnswerFrameworkErrorsAsProblemsToo() {
        assertProblem(http.get("/no/such/route", "Authorization", writer), 404);
        assertProblem(http.get(Fixtures.UPDATE, "Authorization", writer), 405);
    }

    @Test
    void shouldServeHealthAndMetricsWithoutAToken() {
        assertThat(http.get("/health/live").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = http.get("/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(Fixtures.json(ready).path("checks").path("kafka_metadata").asBoolean())
                .isTrue();

        post(Fixtures.update(Fixtures.newSession(), "metric", null), "Idempotency-Key", "metric-" + UUID.randomUUID());
        HttpResponse<String> metrics = http.get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("splitguard_gateway_requests_total{outcome=\"accepted\"}");
    }
}
