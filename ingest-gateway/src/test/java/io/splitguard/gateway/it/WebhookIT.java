package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.gateway.webhook.StandardWebhooks;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.PayloadHash;
import io.splitguard.schemas.model.IdempotencyKeys;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Platform notifications on {@code POST /api/v2/webhooks/{platform}} against a real broker: Genesys
 * Cloud deliveries signed by the Standard Webhooks scheme (the signature is their authentication), NICE
 * CXone deliveries with a bearer token; each event recorded once however often it is delivered.
 */
@ExtendWith(SharedInfra.class)
class WebhookIT {

    private static final String SECRET = "whsec_"
            + Base64.getEncoder().encodeToString("genesys-signing-secret-0123456789".getBytes(StandardCharsets.UTF_8));
    private static final String GENESYS = "/api/v2/webhooks/genesys";
    private static final String CXONE = "/api/v2/webhooks/cxone";

    private static String bootstrap;
    private static TopicCatalog catalog;
    private static GatewayServer gateway;
    private static TestHttp http;

    @BeforeAll
    static void start() {
        bootstrap = SharedInfra.kafka().bootstrapServers();
        String prefix = SharedInfra.uniqueName("webhooks") + ".";
        catalog = Fixtures.catalog(prefix);
        Fixtures.bootstrap(bootstrap, catalog);
        Map<String, Object> properties = Fixtures.properties(bootstrap, prefix);
        properties.put("splitguard.gateway.webhooks.platforms.genesys.signing-secrets", List.of(SECRET));
        // a platform that authenticates with a shared secret in a header, two accepted during a rotation
        properties.put("splitguard.gateway.webhooks.platforms.acd.session-id-pointer", "/call/id");
        properties.put("splitguard.gateway.webhooks.platforms.acd.event-id-pointer", "/event_id");
        properties.put("splitguard.gateway.webhooks.platforms.acd.secret-header", "X-Acd-Secret");
        properties.put("splitguard.gateway.webhooks.platforms.acd.shared-secrets", List.of("old-acd", "new-acd"));
        gateway = Fixtures.start(properties);
        http = new TestHttp(gateway.url());
        await().atMost(Duration.ofSeconds(30))
                .until(() -> http.get("/health/ready").statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    static ObjectNode fixture(String name) {
        try (InputStream in = WebhookIT.class.getResourceAsStream("/webhooks/" + name)) {
            return (ObjectNode) Json.mapper().readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A Genesys notification for a new conversation, with a fresh correlation id. */
    private static ObjectNode genesysEvent(String conversation) {
        ObjectNode n = fixture("genesys-customer-start.json");
        n.put("topicName", "v2.detail.events.conversation." + conversation + ".customer.start");
        ((ObjectNode) n.get("eventBody")).put("conversationId", conversation);
        ((ObjectNode) n.get("metadata")).put("CorrelationId", UUID.randomUUID().toString());
        return n;
    }

    /** Delivers {@code body} signed as a Standard Webhooks sender does (a retry keeps the id, re-signs with a new timestamp). */
    private static HttpResponse<String> deliverSigned(String messageId, byte[] body, long timestamp, String secret) {
        return http.post(
                GENESYS,
                body,
                "Content-Type",
                "application/json",
                StandardWebhooks.ID,
                messageId,
                StandardWebhooks.TIMESTAMP,
                Long.toString(timestamp),
                StandardWebhooks.SIGNATURE,
                StandardWebhooks.signature(secret, messageId, timestamp, body));
    }

    private static byte[] bytes(JsonNode node) {
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void assertProblem(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type"))
                .get()
                .asString()
                .startsWith("application/problem+json");
        assertThat(Fixtures.json(response).path("status").asInt()).isEqualTo(status);
    }

    @Test
    void shouldRecordAGenesysNotificationOnceWhenThePlatformDeliversItThreeTimes() {
        String conversation = UUID.randomUUID().toString();
        ObjectNode event = genesysEvent(conversation);
        String correlation = event.path("metadata").path("CorrelationId").asText();
        byte[] body = bytes(event);
        String messageId = "msg_" + UUID.randomUUID();
        long now = Instant.now().getEpochSecond();

        HttpResponse<String> first = deliverSigned(messageId, body, now, SECRET);
        HttpResponse<String> second = deliverSigned(messageId, body, now + 1, SECRET);
        HttpResponse<String> third = deliverSigned(messageId, body, now + 2, SECRET);

        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        JsonNode answer = Fixtures.json(first);
        assertThat(answer.path("idempotency_key").asText()).isEqualTo(correlation);
        assertThat(answer.path("session_id").asText()).isEqualTo(conversation);
        assertThat(answer.path("status").asText()).isEqualTo("accepted");
        assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
        for (HttpResponse<String> retry : List.of(second, third)) {
            assertThat(retry.statusCode()).as(retry.body()).isEqualTo(200);
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
            assertThat(retry.body()).isEqualTo(first.body());
        }

        List<MutationRequest> records = Fixtures.mutationsWithKey(bootstrap, catalog, correlation);
        assertThat(records).hasSize(1);
        MutationRequest record = records.get(0);
        assertThat(record.route()).isEqualTo("webhook.genesys");
        assertThat(record.tenant()).isEqualTo("platform:genesys");
        assertThat(record.sessionId()).isEqualTo(conversation);
        assertThat(record.scopedKey())
                .isEqualTo(IdempotencyKeys.scoped("platform:genesys", "webhook.genesys", conversation, correlation));
        assertThat(record.payloadHash()).isEqualTo(PayloadHash.of(event));
        assertThat(record.body().path("payload")).isEqualTo(event);
        assertThat(record.body().path("event_type").asText())
                .isEqualTo(event.path("topicName").asText());
        assertThat(record.body().path("operation").asText())
                .isEqualTo(event.path("topicName").asText());
    }

    @Test
    void shouldAnswer401AndProduceNothingWhenTheSignatureIsWrongExpiredOrMissing() {
        ObjectNode event = genesysEvent(UUID.randomUUID().toString());
        String correlation = event.path("metadata").path("CorrelationId").asText();
        byte[] body = bytes(event);
        long now = Instant.now().getEpochSecond();
        String otherSecret =
                "whsec_" + Base64.getEncoder().encodeToString("not-the-secret".getBytes(StandardCharsets.UTF_8));

        assertProblem(deliverSigned("msg_1", body, now, otherSecret), 401);
        assertProblem(deliverSigned("msg_1", body, now - 600, SECRET), 401);
        assertProblem(deliverSigned("msg_1", body, now + 600, SECRET), 401);
        byte[] tampered = bytes(event.put("version", "3"));
        HttpResponse<String> changed = http.post(
                GENESYS,
                tampered,
                "Content-Type",
                "application/json",
                StandardWebhooks.ID,
                "msg_1",
                StandardWebhooks.TIMESTAMP,
                Long.toString(now),
                StandardWebhooks.SIGNATURE,
                StandardWebhooks.signature(SECRET, "msg_1", now, body));
        assertProblem(changed, 401);
        assertProblem(
                http.post(
                        GENESYS,
                        body,
                        "Content-Type",
                        "application/json",
                        "Authorization",
                        Fixtures.token("acme", "session:write")),
                401);

        assertThat(Fixtures.mutationsWithKey(bootstrap, catalog, correlation)).isEmpty();
    }

    @Test
    void shouldAnswer422NamingThePointerWhenTheNotificationHasNoSessionId() {
        ObjectNode event = genesysEvent(UUID.randomUUID().toString());
        ((ObjectNode) event.get("eventBody")).remove("conversationId");

        HttpResponse<String> refused = deliverSigned(
                "msg_" + UUID.randomUUID(), bytes(event), Instant.now().getEpochSecond(), SECRET);

        assertProblem(refused, 422);
        assertThat(Fixtures.json(refused).path("pointer").asText()).isEqualTo("/eventBody/conversationId");
        assertThat(Fixtures.mutationsWithKey(
                        bootstrap,
                        catalog,
                        event.path("metadata").path("CorrelationId").asText()))
                .isEmpty();
    }

    @Test
    void shouldTakeCxoneEventsWithABearerTokenAndRefuseThemWithoutOne() {
        ObjectNode event = fixture("cxone-contact-queued.json");
        String eventId = UUID.randomUUID().toString();
        event.put("eventId", eventId);
        event.put("contactId", Long.toString(System.nanoTime()));
        byte[] body = bytes(event);
        String writer = Fixtures.token("acme", "session:write");

        assertProblem(http.post(CXONE, body, "Content-Type", "application/json"), 401);
        assertProblem(
                http.post(
                        CXONE,
                        body,
                        "Content-Type",
                        "application/json",
                        "Authorization",
                        Fixtures.token("acme", "session:read")),
                403);
        HttpResponse<String> first =
                http.post(CXONE, body, "Content-Type", "application/json", "Authorization", writer);
        HttpResponse<String> again =
                http.post(CXONE, body, "Content-Type", "application/json", "Authorization", writer);
        event.put("skillName", "Changed");
        HttpResponse<String> otherBody =
                http.post(CXONE, bytes(event), "Content-Type", "application/json", "Authorization", writer);

        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(Fixtures.json(first).path("idempotency_key").asText()).isEqualTo(eventId);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertProblem(otherBody, 422);
        List<MutationRequest> records = Fixtures.mutationsWithKey(bootstrap, catalog, eventId);
        assertThat(records).hasSize(1);
        assertThat(records.get(0).tenant()).isEqualTo("acme");
        assertThat(records.get(0).route()).isEqualTo("webhook.cxone");
    }

    /**
     * A platform's queue flushing after a network blip: 500 deliveries of one notification within 10 s,
     * beside steady legitimate events. The notification is produced once; every other delivery is
     * answered from memory (a replay, or 409 while the first is in flight) without a produce, and every
     * legitimate event is accepted.
     */
    @Test
    void shouldProduceAStormedNotificationOnceAndKeepAcceptingOthersWhenAQueueFlushes() throws Exception {
        ObjectNode event = genesysEvent(UUID.randomUUID().toString());
        String correlation = event.path("metadata").path("CorrelationId").asText();
        byte[] body = bytes(event);
        String messageId = "msg_" + UUID.randomUUID();
        String writer = Fixtures.token("acme", "session:write");
        ScheduledExecutorService pacer = Executors.newScheduledThreadPool(2);
        List<CompletableFuture<HttpResponse<String>>> storm = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> legitimate = new ArrayList<>();
        List<String> legitimateKeys = new ArrayList<>();
        try {
            List<ScheduledFuture<?>> scheduled = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                CompletableFuture<HttpResponse<String>> answer = new CompletableFuture<>();
                storm.add(answer);
                scheduled.add(pacer.schedule(
                        () -> {
                            long ts = Instant.now().getEpochSecond();
                            http.postAsync(
                                            GENESYS,
                                            body,
                                            "Content-Type",
                                            "application/json",
                                            StandardWebhooks.ID,
                                            messageId,
                                            StandardWebhooks.TIMESTAMP,
                                            Long.toString(ts),
                                            StandardWebhooks.SIGNATURE,
                                            StandardWebhooks.signature(SECRET, messageId, ts, body))
                                    .whenComplete((r, e) -> complete(answer, r, e));
                        },
                        i * 20L,
                        TimeUnit.MILLISECONDS));
            }
            for (int i = 0; i < 50; i++) {
                ObjectNode other = fixture("cxone-contact-queued.json");
                String eventId = UUID.randomUUID().toString();
                legitimateKeys.add(eventId);
                other.put("eventId", eventId);
                other.put("contactId", Long.toString(1_000_000L + i));
                byte[] otherBody = bytes(other);
                CompletableFuture<HttpResponse<String>> answer = new CompletableFuture<>();
                legitimate.add(answer);
                scheduled.add(pacer.schedule(
                        () -> http.postAsync(
                                        CXONE, otherBody, "Content-Type", "application/json", "Authorization", writer)
                                .whenComplete((r, e) -> complete(answer, r, e)),
                        i * 200L,
                        TimeUnit.MILLISECONDS));
            }
            CompletableFuture.allOf(storm.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            CompletableFuture.allOf(legitimate.toArray(CompletableFuture[]::new))
                    .get(120, TimeUnit.SECONDS);
        } finally {
            pacer.shutdownNow();
        }

        int fresh = 0;
        int replayed = 0;
        int inFlight = 0;
        for (CompletableFuture<HttpResponse<String>> f : storm) {
            HttpResponse<String> r = f.join();
            if (r.statusCode() == 409) {
                inFlight++;
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                if (r.headers().firstValue("Idempotent-Replayed").isPresent()) {
                    replayed++;
                } else {
                    fresh++;
                }
            }
        }
        assertThat(fresh).isEqualTo(1);
        assertThat(replayed + inFlight).isEqualTo(499);
        assertThat(Fixtures.mutationsWithKey(bootstrap, catalog, correlation))
                .as("one produce for 500 deliveries: every other one was answered from memory")
                .hasSize(1);
        for (CompletableFuture<HttpResponse<String>> f : legitimate) {
            assertThat(f.join().statusCode()).as(f.join().body()).isEqualTo(200);
        }
        assertThat(Fixtures.mutationsWithKey(bootstrap, catalog, legitimateKeys.get(49)))
                .hasSize(1);
    }

    private static void complete(
            CompletableFuture<HttpResponse<String>> answer, HttpResponse<String> response, Throwable error) {
        if (error != null) {
            answer.completeExceptionally(error);
        } else {
            answer.complete(response);
        }
    }

    @Test
    void shouldTakeASharedSecretPlatformsEventsOnlyWithAConfiguredSecretWhenItUsesASecretHeader() {
        String eventId = "acd-" + UUID.randomUUID();
        String call = "call-" + UUID.randomUUID();
        byte[] body = ("{\"event_id\":\"" + eventId + "\",\"call\":{\"id\":\"" + call + "\"}}")
                .getBytes(StandardCharsets.UTF_8);

        assertProblem(http.post("/api/v2/webhooks/acd", body, "Content-Type", "application/json"), 401);
        assertProblem(
                http.post("/api/v2/webhooks/acd", body, "Content-Type", "application/json", "X-Acd-Secret", "guess"),
                401);
        HttpResponse<String> accepted =
                http.post("/api/v2/webhooks/acd", body, "Content-Type", "application/json", "X-Acd-Secret", "new-acd");
        HttpResponse<String> old =
                http.post("/api/v2/webhooks/acd", body, "Content-Type", "application/json", "X-Acd-Secret", "old-acd");

        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
        assertThat(old.statusCode()).as(old.body()).isEqualTo(200);
        assertThat(old.headers().firstValue("Idempotent-Replayed")).contains("true");
        List<MutationRequest> records = Fixtures.mutationsWithKey(bootstrap, catalog, eventId);
        assertThat(records).hasSize(1);
        assertThat(records.get(0).tenant()).isEqualTo("platform:acd");
        assertThat(records.get(0).sessionId()).isEqualTo(call);
    }

    @Test
    void shouldAnswer404ForAPlatformThatIsNotConfigured() {
        HttpResponse<String> unknown = http.post(
                "/api/v2/webhooks/teams",
                "{}".getBytes(StandardCharsets.UTF_8),
                "Content-Type",
                "application/json",
                "Authorization",
                Fixtures.token("acme", "session:write"));

        assertProblem(unknown, 404);
    }
}
