package io.splitguard.chaos.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.splitguard.gateway.config.WebhookPlatformSettings;
import io.splitguard.gateway.webhook.PlatformEvent;
import io.splitguard.gateway.webhook.StandardWebhooks;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.PayloadHash;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkloadTest {

    @TempDir
    Path dir;

    private HttpServer server;
    private HttpServer other;
    /** What the workload counted for the test gateway, after its last run. */
    private Map<Integer, Long> answers;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
        if (other != null) {
            other.stop(0);
        }
    }

    /** The gateway's default Genesys settings (application.yml), with the run's signing secret. */
    private static WebhookPlatformSettings genesys(String secret) {
        WebhookPlatformSettings genesys = new WebhookPlatformSettings("genesys");
        genesys.setSessionIdPointer("/eventBody/conversationId");
        genesys.setEventIdPointer("/metadata/CorrelationId");
        genesys.setEventTimePointer("/eventBody/eventTime");
        genesys.setEventTypePointer("/topicName");
        genesys.setSigningSecrets(List.of(secret));
        return genesys;
    }

    @Test
    void shouldBePlacedBySessionCorrelationIdAndTopicWhenTheGatewayReadsANotification() throws IOException {
        String topic = Workload.genesysTopic("sess-3", "agent.end");
        String notification = Workload.genesysNotification("sess-3", "corr-1", topic, 1715788320123L, 42);
        JsonNode node = Json.mapper().readTree(notification);

        PlatformEvent event = PlatformEvent.of(genesys(Workload.signingSecret(1)), node);

        assertThat(event.sessionId()).isEqualTo("sess-3");
        assertThat(event.eventId()).isEqualTo("corr-1");
        assertThat(event.eventType()).isEqualTo(topic);
        assertThat(event.eventTime()).isEqualTo("1715788320123");
        assertThat(event.document().path("payload")).isEqualTo(node);
        assertThat(event.document().path("operation").asText()).isEqualTo(topic);
        assertThat(Workload.hash(notification)).isEqualTo(PayloadHash.of(node));
    }

    @Test
    void shouldBeAcceptedWhenGenuineAndRefusedWhenForgedInAnyVariant() {
        String secret = Workload.signingSecret(7);
        String notification = Workload.genesysNotification(
                "sess-1", "corr-7", Workload.genesysTopic("sess-1", "customer.start"), 1715788320123L, 7);
        byte[] body = notification.getBytes(StandardCharsets.UTF_8);
        StandardWebhooks verifier = new StandardWebhooks(List.of(secret), Duration.ofMinutes(5));
        Instant now = Instant.now();

        for (Workload.Forgery forgery : Workload.Forgery.values()) {
            Map<String, String> headers = pairs(Workload.webhookHeaders(secret, "msg_1", notification, forgery, now));

            assertThat(headers)
                    .containsEntry("Content-Type", "application/json")
                    .doesNotContainKey("Authorization");
            assertThat(verifier.refusal(
                            headers.get(StandardWebhooks.ID),
                            headers.get(StandardWebhooks.TIMESTAMP),
                            headers.get(StandardWebhooks.SIGNATURE),
                            body,
                            now))
                    .as(forgery.name())
                    .matches(refusal -> refusal.isPresent() == (forgery != Workload.Forgery.NONE));
        }
        assertThat(Workload.signingSecret(7)).startsWith("whsec_").isNotEqualTo(Workload.signingSecret(8));
        assertThat(Workload.Forgery.values()).hasSize(Workload.FORGED_VARIANTS + 1);
    }

    @Test
    void shouldRetryThroughTheOtherGatewayWithTheSameIdWhenAPlatformRedeliversANotification() throws Exception {
        // Given two gateways that verify signatures as the product does: 401 when it does not hold
        String secret = Workload.signingSecret(11);
        StandardWebhooks verifier = new StandardWebhooks(List.of(secret), Duration.ofMinutes(5));
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        server = verifying(verifier, "a", seen);
        other = verifying(verifier, "b", seen);
        List<String> urls = List.of(url(server), url(other));

        List<Op> ops;
        try (History history = new History(dir.resolve("history.jsonl"));
                Workload workload = new Workload(urls, "token", 5, 50, 11, history, Duration.ofSeconds(3), secret)) {
            workload.start();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> history.ops().stream().filter(Op::forged).count() >= 2
                            && history.ops().stream()
                                            .filter(o -> o.kind().equals(Op.WEBHOOK_RETRY))
                                            .count()
                                    >= 5);
            workload.stopGenerating();
            await().atMost(Duration.ofSeconds(60)).until(() -> workload.pending() == 0);
            ops = history.ops();
        }

        // Then genuine deliveries were accepted, forged ones refused, all under the Genesys route
        List<Op> webhooks = ops.stream().filter(Op::webhook).toList();
        assertThat(webhooks).allSatisfy(o -> {
            assertThat(o.route()).isEqualTo(Op.GENESYS_ROUTE);
            assertThat(o.operation()).startsWith("v2.detail.events.conversation." + o.session() + ".");
            assertThat(o.status()).as(o.detail()).isEqualTo(o.forged() ? 401 : 200);
        });
        assertThat(ops.stream().filter(o -> !o.webhook()))
                .allSatisfy(o -> assertThat(o.route()).isEqualTo(Op.CRM_ROUTE));
        // and each notification's two deliveries went through different gateways with one webhook-id
        Map<String, List<String>> byCorrelation = seen.stream()
                .filter(line -> !line.contains(" forged"))
                .collect(Collectors.groupingBy(line -> line.split(" ")[1]));
        assertThat(byCorrelation).isNotEmpty().allSatisfy((correlation, deliveries) -> {
            assertThat(deliveries).as(correlation).hasSize(2);
            assertThat(deliveries.stream().map(d -> d.split(" ")[0])).containsExactlyInAnyOrder("a", "b");
            assertThat(deliveries.stream().map(d -> d.split(" ")[2]).distinct()).hasSize(1);
        });
    }

    /**
     * A gateway that answers 200 (naming the body's hash) to a webhook delivery whose signature holds,
     * 401 otherwise, and notes "{@code name} CorrelationId webhook-id" (" forged" when refused) in {@code seen}.
     */
    private static HttpServer verifying(StandardWebhooks verifier, String name, List<String> seen) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String text = new String(body, StandardCharsets.UTF_8);
            if (!exchange.getRequestURI().getPath().equals(Workload.WEBHOOK_PATH)) {
                respond(exchange, new Answer(200, "{\"payload_hash\":\"" + Workload.hash(text) + "\"}"));
                return;
            }
            var headers = exchange.getRequestHeaders();
            boolean genuine = headers.getFirst("Authorization") == null
                    && verifier.refusal(
                                    headers.getFirst(StandardWebhooks.ID),
                                    headers.getFirst(StandardWebhooks.TIMESTAMP),
                                    headers.getFirst(StandardWebhooks.SIGNATURE),
                                    body,
                                    Instant.now())
                            .isEmpty();
            String correlation =
                    Json.mapper().readTree(text).at("/metadata/CorrelationId").asText();
            seen.add(name + " " + correlation + " " + headers.getFirst(StandardWebhooks.ID)
                    + (genuine ? "" : " forged"));
            respond(
                    exchange,
                    genuine
                            ? new Answer(200, "{\"payload_hash\":\"" + Workload.hash(text) + "\"}")
                            : new Answer(401, "{\"title\":\"Invalid signature\"}"));
        });
        s.start();
        return s;
    }

    private static String url(HttpServer s) {
        return "http://127.0.0.1:" + s.getAddress().getPort();
    }

    private static Map<String, String> pairs(List<String> headers) {
        Map<String, String> map = new java.util.LinkedHashMap<>();
        for (int i = 0; i < headers.size(); i += 2) {
            map.put(headers.get(i), headers.get(i + 1));
        }
        return map;
    }

    @Test
    void shouldHashABodyTheWayTheGatewayDoesWhateverItsKeyOrderAndSpacing() throws IOException {
        String body = Workload.body("sess-1", 7, "note 7");
        JsonNode reordered = Json.mapper().readTree(body);

        assertThat(Workload.hash(body))
                .isEqualTo(PayloadHash.of(reordered))
                .isEqualTo(Workload.hash(body.replace(",", " ,\n")))
                .isNotEqualTo(Workload.hash(Workload.body("sess-1", 7, "changed 7")));
    }

    @Test
    void shouldSendHostileBodiesThatAreWellFormedJsonOfTheContractsShape() throws IOException {
        for (int variant = 0; variant < Workload.HOSTILE_VARIANTS; variant++) {
            String body = Workload.hostileBody("sess-1", 7, variant);

            JsonNode node = Json.mapper().readTree(body);

            assertThat(node.path("session_id").asText()).isEqualTo("sess-1");
            assertThat(node.path("payload").isObject()).isTrue();
            assertThat(Workload.hash(body)).isNotBlank();
        }
        assertThat(Json.mapper()
                        .readTree(Workload.hostileBody("s", 1, 0))
                        .at("/payload/notes")
                        .asText())
                .contains("\u0000");
        assertThat(Json.mapper()
                        .readTree(Workload.hostileBody("s", 1, 1))
                        .at("/payload/notes")
                        .asText())
                .contains("\ud800");
        assertThat(Workload.hostileBody("s", 1, 2)).contains("1e200000");
    }

    @Test
    void shouldClassifyAnswersAndReadThePayloadHashOfAnAcknowledgement() {
        assertThat(Workload.resultOf(200)).isEqualTo(Op.OK);
        assertThat(Workload.resultOf(202)).isEqualTo(Op.OK);
        assertThat(Workload.resultOf(409)).isEqualTo(Op.FAIL);
        assertThat(Workload.resultOf(422)).isEqualTo(Op.FAIL);
        assertThat(Workload.resultOf(503)).isEqualTo(Op.INFO);
        assertThat(Workload.resultOf(500)).isEqualTo(Op.INFO);
        assertThat(Workload.answeredHash("{\"payload_hash\":\"sha256:ab\",\"status\":\"accepted\"}"))
                .isEqualTo("sha256:ab");
        assertThat(Workload.answeredHash("{\"status\":\"accepted\"}")).isNull();
        assertThat(Workload.answeredHash("not json")).isNull();
        assertThat(Workload.answeredHash("")).isNull();
    }

    @Test
    void shouldGiveUpAKeyAfterItsFirstIndeterminateAnswerOnlyForSingleTryClients() throws Exception {
        // Given a gateway that never answers anything but 503
        serve(body -> new Answer(503, "{\"title\":\"Service unavailable\"}"));

        // When the workload runs against it for a while
        List<Op> ops = run();

        // Then single-try clients sent each key once, persistent clients retried
        Map<String, Long> onceAttempts = ops.stream()
                .filter(o -> o.kind().equals(Op.ONCE))
                .collect(Collectors.groupingBy(Op::key, Collectors.counting()));
        Map<String, Long> writeAttempts = ops.stream()
                .filter(o -> o.kind().equals(Op.WRITE))
                .collect(Collectors.groupingBy(o -> o.key() + "/" + o.client(), Collectors.counting()));
        assertThat(onceAttempts)
                .isNotEmpty()
                .allSatisfy((key, n) -> assertThat(n).as(key).isEqualTo(1L));
        assertThat(writeAttempts.values()).allSatisfy(n -> assertThat(n).isGreaterThan(1L));
        assertThat(ops).allSatisfy(o -> {
            assertThat(o.result()).isEqualTo(Op.INFO);
            assertThat(o.answeredPayloadHash()).isNull();
        });
        // and the gateway's answers are counted by status: every attempt, all of them 503
        assertThat(answers).containsOnlyKeys(503).containsEntry(503, (long) ops.size());
    }

    @Test
    void shouldRecordTheHashItSentAndTheHashTheAcknowledgementNamed() throws Exception {
        // Given a gateway that acknowledges every body, naming the hash of the body it received
        serve(body -> new Answer(200, "{\"payload_hash\":\"" + Workload.hash(body) + "\"}"));

        List<Op> ops = run();

        assertThat(ops).isNotEmpty().allSatisfy(o -> {
            assertThat(o.result()).isEqualTo(Op.OK);
            assertThat(o.answeredPayloadHash()).isEqualTo(o.payloadHash()).startsWith(PayloadHash.PREFIX);
        });
    }

    private record Answer(int status, String body) {}

    private void serve(Function<String, Answer> answer) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            respond(exchange, answer.apply(body));
        });
        server.start();
    }

    private static void respond(HttpExchange exchange, Answer a) throws IOException {
        byte[] bytes = a.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(a.status(), bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private List<Op> run() throws Exception {
        String url = "http://127.0.0.1:" + server.getAddress().getPort();
        try (History history = new History(dir.resolve("history.jsonl"));
                Workload workload =
                        new Workload(List.of(url, url), "token", 5, 50, 11, history, Duration.ofSeconds(3))) {
            workload.start();
            await().atMost(Duration.ofSeconds(30))
                    .until(() ->
                            history.ops().stream().anyMatch(o -> o.kind().equals(Op.ONCE)) && workload.events() >= 60);
            workload.stopGenerating();
            await().atMost(Duration.ofSeconds(60)).until(() -> workload.pending() == 0);
            answers = workload.answers(url);
            assertThat(workload.answers("http://127.0.0.1:1")).isEmpty();
            return history.ops();
        }
    }
}
