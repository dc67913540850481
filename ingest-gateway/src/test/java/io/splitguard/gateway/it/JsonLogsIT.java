package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.gateway.api.RequestLogging;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.gateway.logs.CapturedLogs;
import io.splitguard.gateway.logs.LogLeakCheck;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * The gateway's real logback.xml, with DEBUG on for the gateway's packages, while requests with tokens,
 * keys, distinctive bodies and error paths go through: every line is JSON, the request lines carry the
 * MDC fields, and no token, secret, password or body reaches the output.
 */
@ExtendWith(SharedInfra.class)
class JsonLogsIT {

    private static final String UNIQUE = UUID.randomUUID().toString().substring(0, 8);
    private static final String DB_PASSWORD = "db-password-" + UNIQUE;
    private static final String URL_PASSWORD = "url-password-" + UNIQUE;
    private static final String BAD_TOKEN = "Bearer not-a-jwt-" + UNIQUE;
    private static final String SIGNING_SECRET = "whsec_"
            + java.util.Base64.getEncoder()
                    .encodeToString(("signing-secret-" + UNIQUE).getBytes(StandardCharsets.UTF_8));

    private static LoggerContext context;
    private static CapturedLogs logs;
    private static GatewayServer gateway;
    private static TestHttp http;

    @BeforeAll
    static void start() throws IOException {
        context = (LoggerContext) LoggerFactory.getILoggerFactory();
        URL config = JsonLogsIT.class.getResource("/logback.xml");
        assertThat(config).isNotNull();
        assertThat(config.toString()).contains("ingest-gateway");
        logs = CapturedLogs.install(context, config);
        context.getLogger("io.splitguard.gateway").setLevel(Level.DEBUG);

        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String prefix = SharedInfra.uniqueName("jsonlogs") + ".";
        Fixtures.bootstrap(bootstrap, Fixtures.catalog(prefix));
        // a lookup database that refuses connections: its settings are configured, its failures are logged
        int refusing;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refusing = socket.getLocalPort();
        }
        Map<String, Object> properties = Fixtures.properties(bootstrap, prefix);
        properties.put(
                "splitguard.idempotency.lookup.jdbc-url",
                "jdbc:postgresql://127.0.0.1:" + refusing + "/splitguard?user=gw&password=" + URL_PASSWORD);
        properties.put("splitguard.idempotency.lookup.user", "gw");
        properties.put("splitguard.idempotency.lookup.password", DB_PASSWORD);
        properties.put("splitguard.idempotency.lookup.timeout", "1s");
        properties.put("splitguard.gateway.webhooks.platforms.genesys.signing-secrets", List.of(SIGNING_SECRET));
        gateway = Fixtures.start(properties);
        http = new TestHttp(gateway.url());
        await().atMost(Duration.ofSeconds(30))
                .until(() -> http.get("/health/ready").statusCode() == 200);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (gateway != null) {
                gateway.close();
            }
        } finally {
            // back to the test configuration for whatever runs next in this JVM
            context.reset();
            new ContextInitializer(context).autoConfig();
        }
    }

    private static String body(String session, String notes) {
        return "{\"session_id\":\"" + session + "\",\"contact_id\":\"c-1\",\"operation\":\"UPDATE_CONTACT\","
                + "\"payload\":{\"notes\":\"" + notes + "\"}}";
    }

    @Test
    void shouldWriteJsonLinesWithRequestFieldsAndNothingSecret() {
        String token = Fixtures.token("acme", "session:write", "session:read");
        String session = "sess-log-" + UNIQUE;
        String key = "key-log-" + UNIQUE;
        String correlation = "corr-" + UNIQUE;
        List<String> markers = new ArrayList<>();
        for (String what : List.of(
                "first", "other", "invalid", "malformed", "text", "unauthorized", "webhook", "badsig", "nosession")) {
            markers.add("BODY-MARKER-" + what + "-" + UNIQUE);
        }
        String json = "application/json";

        assertThat(post(
                        body(session, markers.get(0)),
                        token,
                        json,
                        "Idempotency-Key",
                        key,
                        "X-Correlation-Id",
                        correlation))
                .isEqualTo(200);
        assertThat(post(body(session, markers.get(1)), token, json, "Idempotency-Key", key))
                .isEqualTo(422);
        assertThat(post(
                        "{\"session_id\":\"" + session + "\",\"unexpected\":\"" + markers.get(2) + "\"}",
                        token,
                        json,
                        "Idempotency-Key",
                        key + "-2"))
                .isEqualTo(422);
        assertThat(post("{\"session_id\": \"" + markers.get(3), token, json)).isEqualTo(400);
        assertThat(post(body(session, markers.get(4)), token, "text/plain")).isEqualTo(415);
        assertThat(post(body(session, markers.get(5)), BAD_TOKEN, json)).isEqualTo(401);
        // the lookup database refuses: this instance cannot say whether the key is recorded
        HttpResponse<String> lookup = http.get("/api/v2/idempotency/unknown-" + UNIQUE, "Authorization", token);
        assertThat(lookup.statusCode()).isEqualTo(503);

        // platform webhooks: a signed delivery, one with a wrong signature, one that cannot be placed
        List<String> signatures = new ArrayList<>();
        assertThat(webhook(
                        "{\"topicName\":\"v2.detail.events.conversation." + session + ".customer.start\","
                                + "\"eventBody\":{\"conversationId\":\"" + session + "\",\"note\":\""
                                + markers.get(6) + "\"},\"metadata\":{\"CorrelationId\":\"corr-wh-" + UNIQUE
                                + "\"}}",
                        SIGNING_SECRET,
                        signatures))
                .isEqualTo(200);
        String wrongSecret =
                "whsec_" + java.util.Base64.getEncoder().encodeToString("not-it".getBytes(StandardCharsets.UTF_8));
        assertThat(webhook("{\"note\":\"" + markers.get(7) + "\"}", wrongSecret, signatures))
                .isEqualTo(401);
        assertThat(webhook("{\"eventBody\":{\"note\":\"" + markers.get(8) + "\"}}", SIGNING_SECRET, signatures))
                .isEqualTo(422);

        // one request line per request above, written before each answer left
        await().atMost(Duration.ofSeconds(10))
                .until(() -> requestLines(logs.text()).size() >= 10);

        String output = logs.text();
        List<String> secrets = new ArrayList<>(markers);
        secrets.add(token.substring("Bearer ".length()));
        secrets.add(token.substring(token.lastIndexOf('.') + 1)); // the signature alone
        secrets.add(BAD_TOKEN.substring("Bearer ".length()));
        secrets.add(Fixtures.SECRET);
        secrets.add(DB_PASSWORD);
        secrets.add(URL_PASSWORD);
        secrets.add(SIGNING_SECRET);
        secrets.add(SIGNING_SECRET.substring("whsec_".length()));
        for (String signature : signatures) {
            secrets.add(signature.substring("v1,".length()));
        }
        assertThat(LogLeakCheck.problems(output, secrets)).isEmpty();

        List<JsonNode> lines = LogLeakCheck.lines(output);
        for (JsonNode line : lines) {
            assertThat(line.has("timestamp") && line.has("level") && line.has("loggerName") && line.has("threadName"))
                    .as(line.toString())
                    .isTrue();
            assertThat(line.has("formattedMessage")).as(line.toString()).isTrue();
        }
        List<JsonNode> requests = requestLines(output);
        for (JsonNode line : requests) {
            assertThat(line.path("mdc").path(RequestLogging.CORRELATION_ID).asText())
                    .as(line.toString())
                    .isNotBlank();
        }
        JsonNode first = requests.stream()
                .filter(l -> correlation.equals(
                        l.path("mdc").path(RequestLogging.CORRELATION_ID).asText()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no request line with correlation id " + correlation));
        assertThat(first.path("mdc").path(RequestLogging.SESSION_ID).asText()).isEqualTo(session);
        assertThat(first.path("mdc").path(RequestLogging.IDEMPOTENCY_KEY).asText())
                .isEqualTo(key);
        assertThat(first.path("formattedMessage").asText())
                .startsWith("POST /api/v2/integrations/crm/contact/update answered 200");
        // the refused reuse of the key is described the same way
        assertThat(requests).anySatisfy(l -> {
            assertThat(l.path("formattedMessage").asText()).contains(" answered 422 ");
            assertThat(l.path("mdc").path(RequestLogging.IDEMPOTENCY_KEY).asText())
                    .isEqualTo(key);
        });
        // the lookup's failure is logged (WARN) and its 503 request line is INFO with the key
        assertThat(lines)
                .anySatisfy(l -> assertThat(l.path("formattedMessage").asText()).contains("idempotency lookup failed"));
        assertThat(requests).anySatisfy(l -> {
            assertThat(l.path("level").asText()).isEqualTo("INFO");
            assertThat(l.path("formattedMessage").asText()).contains(" answered 503 ");
            assertThat(l.path("mdc").path(RequestLogging.IDEMPOTENCY_KEY).asText())
                    .isEqualTo("unknown-" + UNIQUE);
        });
    }

    private static int post(String body, String token, String contentType, String... more) {
        List<String> headers = new ArrayList<>(List.of("Authorization", token, "Content-Type", contentType));
        headers.addAll(List.of(more));
        return http.post(Fixtures.UPDATE, body.getBytes(StandardCharsets.UTF_8), headers.toArray(String[]::new))
                .statusCode();
    }

    /** Posts a Genesys notification signed with {@code secret}; remembers the signature sent. */
    private static int webhook(String body, String secret, List<String> signatures) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String id = "msg_" + UUID.randomUUID();
        long ts = java.time.Instant.now().getEpochSecond();
        String signature = io.splitguard.gateway.webhook.StandardWebhooks.signature(secret, id, ts, bytes);
        signatures.add(signature);
        return http.post(
                        "/api/v2/webhooks/genesys",
                        bytes,
                        "Content-Type",
                        "application/json",
                        "webhook-id",
                        id,
                        "webhook-timestamp",
                        Long.toString(ts),
                        "webhook-signature",
                        signature)
                .statusCode();
    }

    private static List<JsonNode> requestLines(String output) {
        List<JsonNode> found = new ArrayList<>();
        for (JsonNode line : LogLeakCheck.lines(output)) {
            if (RequestLogging.LOGGER.equals(line.path("loggerName").asText())
                    && line.path("formattedMessage").asText().contains("/api/v2/")) {
                found.add(line);
            }
        }
        return found;
    }
}
