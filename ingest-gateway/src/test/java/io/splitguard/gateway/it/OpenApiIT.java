package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.micronaut.web.router.Router;
import io.splitguard.gateway.api.RequestLogging;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import io.splitguard.topology.app.DedupStreams;
import io.splitguard.topology.config.DedupConfig;
import io.swagger.v3.core.util.Json31;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.examples.Example;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The served OpenAPI document is valid, matches the routes the gateway exposes, and each of its examples
 * is answered with the status it is documented under — against a real broker and dedup topology.
 */
@ExtendWith(SharedInfra.class)
class OpenApiIT {

    private static final String SETUP_KAFKA_UNREACHABLE = "kafka-unreachable";
    private static final String SETUP_LOOKUP_UNRESPONSIVE = "lookup-store-unresponsive";

    private static final String SETUP_CHECKPOINT_STORE_UNREACHABLE = "checkpoint-store-unreachable";

    private static DedupStreams topology;
    private static Fixtures.CheckpointTopologyInstance checkpoints;
    private static GatewayServer gateway;
    private static GatewayServer unreachableKafka;
    private static GatewayServer unresponsiveLookup;
    private static ServerSocket hungDatabase;
    private static Map<String, TestHttp> clients;
    private static OpenAPI api;
    /** The served document as a JSON tree, for validating bodies against its schemas. */
    private static JsonNode raw;

    @BeforeAll
    static void start() throws IOException {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String prefix = SharedInfra.uniqueName("openapi") + ".";
        TopicCatalog catalog = Fixtures.catalog(prefix);
        Fixtures.bootstrap(bootstrap, catalog);
        Path state = Files.createTempDirectory("openapi-dedup-state");
        topology = DedupStreams.start(
                DedupConfig.fromEnv(
                        Map.of(
                                DedupConfig.APPLICATION_ID,
                                prefix + "dedup",
                                CommonSettings.BOOTSTRAP_SERVERS,
                                bootstrap,
                                CommonSettings.DEDUP_WINDOW,
                                Duration.ofHours(24).toString(),
                                DedupConfig.STATE_DIR,
                                state.toString(),
                                DedupConfig.COMMIT_INTERVAL_MS,
                                "100"),
                        catalog.deadLetters.name()),
                catalog);
        checkpoints = Fixtures.startCheckpointTopology(bootstrap, prefix, catalog);
        Map<String, Object> main = Fixtures.properties(bootstrap, prefix);
        main.put("splitguard.gateway.checkpoint.query-url", checkpoints.url());
        // the restore-flow-retired example's flow version
        main.put("splitguard.gateway.checkpoint.retired-flow-versions", "billing-ivr-3");
        gateway = Fixtures.start(main);

        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        Map<String, Object> unreachable = Fixtures.properties("127.0.0.1:" + closedPort, prefix);
        unreachable.put("splitguard.gateway.delivery-timeout", "2s");
        // nothing answers there either: setups kafka-unreachable and checkpoint-store-unreachable
        unreachable.put("splitguard.gateway.checkpoint.query-url", "http://127.0.0.1:" + closedPort);
        unreachableKafka = Fixtures.start(unreachable);

        // accepts connections and never answers: every lookup runs into its timeout
        hungDatabase = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Map<String, Object> hung = Fixtures.properties(bootstrap, prefix);
        hung.put(
                "splitguard.idempotency.lookup.jdbc-url",
                "jdbc:postgresql://127.0.0.1:" + hungDatabase.getLocalPort() + "/splitguard");
        hung.put("splitguard.idempotency.lookup.user", "postgres");
        hung.put("splitguard.idempotency.lookup.timeout", "1s");
        unresponsiveLookup = Fixtures.start(hung);

        clients = Map.of(
                "",
                new TestHttp(gateway.url()),
                SETUP_KAFKA_UNREACHABLE,
                new TestHttp(unreachableKafka.url()),
                SETUP_LOOKUP_UNRESPONSIVE,
                new TestHttp(unresponsiveLookup.url()),
                SETUP_CHECKPOINT_STORE_UNREACHABLE,
                new TestHttp(unreachableKafka.url()));
        await().atMost(Duration.ofSeconds(60)).until(topology::isRunning);
        await().atMost(Duration.ofSeconds(60)).until(() -> checkpoints.streams().isRunning());
        await().atMost(Duration.ofSeconds(30))
                .until(() -> clients.get("").get("/health/ready").statusCode() == 200
                        && clients.get(SETUP_LOOKUP_UNRESPONSIVE)
                                        .get("/health/ready")
                                        .statusCode()
                                == 200);
        api = parse(gateway.url() + "/openapi.yaml");
        HttpResponse<String> served = clients.get("").get("/openapi.yaml");
        raw = new YAMLMapper().readTree(served.body());
    }

    @AfterAll
    static void stop() throws IOException {
        for (AutoCloseable c :
                new AutoCloseable[] {gateway, unreachableKafka, unresponsiveLookup, topology, checkpoints}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    // keep closing the others
                }
            }
        }
        if (hungDatabase != null) {
            hungDatabase.close();
        }
    }

    /** Parsed from the served URL, so the relative $ref to the schemas module must resolve over HTTP. */
    private static OpenAPI parse(String url) {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        SwaggerParseResult result = new OpenAPIV3Parser().readLocation(url, null, options);
        assertThat(result.getMessages()).as("parser messages").isEmpty();
        assertThat(result.getOpenAPI()).isNotNull();
        assertThat(result.getOpenAPI().getOpenapi()).startsWith("3.1.");
        return result.getOpenAPI();
    }

    @Test
    void shouldUseTheSchemasModulesContractAsTheRequestBodySchema() {
        io.swagger.v3.oas.models.media.Schema<?> body = api.getPaths()
                .get("/api/v2/integrations/crm/contact/update")
                .getPost()
                .getRequestBody()
                .getContent()
                .get("application/json")
                .getSchema();
        // resolved from /schemas/crm-contact-update.schema.json: its required members are known here
        assertThat(body.get$ref()).isNull();
        assertThat(body.getRequired()).contains("session_id", "contact_id", "operation", "payload");
        HttpResponse<String> served = clients.get("").get("/schemas/crm-contact-update.schema.json");
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(Fixtures.json(served).path("$id").asText()).endsWith("/crm-contact-update.schema.json");
    }

    @Test
    void shouldDocumentEveryRouteOfTheGatewayAndServeEveryDocumentedOperationAsARoute() {
        Set<String> routes = new TreeSet<>();
        gateway.context()
                .getBean(Router.class)
                .uriRoutes()
                .forEach(r -> routes.add(r.getHttpMethodName() + " " + r.getUriMatchTemplate()));
        // Micronaut answers HEAD wherever it answers GET; OpenAPI descriptions conventionally leave it implied
        routes.removeIf(r -> r.startsWith("HEAD ") && routes.contains("GET " + r.substring("HEAD ".length())));
        Set<String> documented = new TreeSet<>();
        api.getPaths().forEach((path, item) -> item.readOperationsMap()
                .keySet()
                .forEach(method -> documented.add(method.name() + " " + path)));
        assertThat(documented).isEqualTo(routes);
    }

    @Test
    void shouldAnswerEveryExampleWithItsDocumentedStatus() {
        Map<String, Exchange> exchanges = exchanges();
        assertThat(exchanges).isNotEmpty();
        Set<String> sent = new TreeSet<>();
        List<String> notSent = new ArrayList<>();
        for (Exchange exchange : exchanges.values()) {
            if (exchange.notSent() != null) {
                notSent.add(exchange.name());
                continue;
            }
            send(exchange, exchanges, sent);
        }
        // every documented status of every operation was seen in an exchange, except those that cannot be
        // produced on demand: 409 (a window of milliseconds), 413 (an example body of 64 KiB) and the lease
        // answers that need the lock token of a live grant
        Set<String> documented = new TreeSet<>();
        api.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, operation) -> operation
                .getResponses()
                .keySet()
                .forEach(code -> documented.add(method + " " + path + " " + code))));
        Set<String> statusesSent = new TreeSet<>();
        exchanges.values().stream()
                .filter(e -> sent.contains(e.name()))
                .forEach(e -> statusesSent.add(e.operationKey() + " " + e.status()));
        documented.removeAll(Set.of(
                "POST /api/v2/integrations/crm/contact/update 409",
                "POST /api/v2/integrations/crm/contact/update 413",
                "POST /api/v2/sessions/{session_id}/state/checkpoint 413",
                "POST /api/v2/webhooks/{platform} 413",
                "POST /api/v1/state/locks/heartbeat 200",
                "POST /api/v1/state/locks/release 200"));
        assertThat(statusesSent).isEqualTo(documented);
        assertThat(sent).contains("accepted", "replayed", "key-reused", "wait-for-verdict", "kafka-unavailable");
        assertThat(notSent)
                .containsExactlyInAnyOrder(
                        "in-flight",
                        "outcome-unknown",
                        "checkpoint-outcome-unknown",
                        "lease-heartbeat-ok",
                        "lease-release-ok");
    }

    @Test
    void shouldMakeEveryResponseExampleSatisfyItsSchema() {
        Map<String, Exchange> exchanges = exchanges();
        for (Exchange e : exchanges.values()) {
            if (e.mediaType().endsWith("json")) {
                JsonNode example = raw.at(pointer(e) + "/examples/" + escape(e.name()) + "/value");
                assertThat(example.isMissingNode()).as(e.name()).isFalse();
                assertThat(violations(e, example)).as("example " + e.name()).isEmpty();
            }
        }
    }

    /** What is wrong with {@code body} according to the schema documented for the exchange's answer. */
    private static Set<String> violations(Exchange exchange, JsonNode body) {
        JsonNode schema = raw.at(pointer(exchange) + "/schema");
        assertThat(schema.isMissingNode()).as("schema of " + exchange.name()).isFalse();
        // the response's schema with the document's components beside it, so that its $refs resolve
        ObjectNode root = new YAMLMapper().createObjectNode();
        root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        root.set("components", raw.path("components"));
        root.putObject("$defs").set("answer", schema);
        root.put("$ref", "#/$defs/answer");
        Set<String> problems = new TreeSet<>();
        for (ValidationMessage m : JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(root)
                .validate(body)) {
            problems.add(m.getMessage());
        }
        return problems;
    }

    /** JSON pointer to the media type object of the exchange's documented answer. */
    private static String pointer(Exchange e) {
        String[] parts = e.operationKey().split(" ", 2);
        String responses =
                "/paths/" + escape(parts[1]) + "/" + parts[0].toLowerCase(Locale.ROOT) + "/responses/" + e.status();
        JsonNode response = raw.at(responses);
        if (response.has("$ref")) {
            throw new AssertionError("shared responses are not expected: " + responses);
        }
        return responses + "/content/" + escape(e.mediaType());
    }

    private static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }

    private void send(Exchange exchange, Map<String, Exchange> all, Set<String> sent) {
        if (sent.contains(exchange.name())) {
            return;
        }
        for (String first : exchange.after()) {
            assertThat(all).as("x-splitguard-after of " + exchange.name()).containsKey(first);
            send(all.get(first), all, sent);
        }
        TestHttp http = clients.get(exchange.setup());
        assertThat(http)
                .as("setup " + exchange.setup() + " of " + exchange.name())
                .isNotNull();
        List<String> headers = new ArrayList<>();
        exchange.headers().forEach((name, value) -> {
            headers.add(name);
            headers.add(value);
        });
        if (exchange.token() != null) {
            headers.add("Authorization");
            headers.add(exchange.token());
        }
        String[] h = headers.toArray(String[]::new);
        HttpResponse<String> response = exchange.method().equals("POST")
                ? http.post(exchange.path(), exchange.body(), h)
                : http.get(exchange.path(), h);
        if (!exchange.eventually().isEmpty()) {
            // the answer follows the pipeline's processing: ask again until it has caught up
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (!settled(exchange, response) && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(
                        Duration.ofMillis(100).toNanos());
                response = http.get(exchange.path(), h);
            }
            HttpResponse<String> last = response;
            assertThat(exchange.eventually())
                    .as(exchange.name() + ": " + last.body())
                    .allSatisfy((member, expected) -> assertThat(
                                    canonical(Fixtures.json(last).path(member)))
                            .isEqualTo(expected));
        }
        String what = exchange.name() + " (" + exchange.operationKey() + "): " + response.body();
        assertThat(response.statusCode()).as(what).isEqualTo(exchange.status());
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        assertThat(contentType.toLowerCase(Locale.ROOT)).as(what).startsWith(exchange.mediaType());
        assertThat(response.headers().firstValue(RequestLogging.CORRELATION_HEADER))
                .as(what)
                .isPresent();
        if (exchange.mediaType().endsWith("json")) {
            assertThat(violations(exchange, Fixtures.json(response)))
                    .as("the answer satisfies the documented schema: " + what)
                    .isEmpty();
        }
        if (exchange.mediaType().equals("application/problem+json")) {
            JsonNode problem = Fixtures.json(response);
            assertThat(problem.path("status").asInt()).as(what).isEqualTo(exchange.status());
            String documentedType = exchange.documentedType();
            if (documentedType != null) {
                assertThat(problem.path("type").asText()).as(what).isEqualTo(documentedType);
            }
        }
        sent.add(exchange.name());
    }

    /** One response example and the request made of the request examples of the same name. */
    record Exchange(
            String name,
            String operationKey,
            String method,
            String path,
            Map<String, String> headers,
            byte[] body,
            String token,
            String setup,
            List<String> after,
            String notSent,
            int status,
            String mediaType,
            String documentedType,
            Map<String, JsonNode> eventually) {}

    private static Map<String, Exchange> exchanges() {
        Map<String, Exchange> found = new LinkedHashMap<>();
        api.getPaths().forEach((path, item) -> {
            for (Map.Entry<PathItem.HttpMethod, Operation> op :
                    item.readOperationsMap().entrySet()) {
                Operation operation = op.getValue();
                String operationKey = op.getKey() + " " + path;
                List<Parameter> parameters = new ArrayList<>();
                if (item.getParameters() != null) {
                    parameters.addAll(item.getParameters());
                }
                if (operation.getParameters() != null) {
                    parameters.addAll(operation.getParameters());
                }
                parameters.replaceAll(OpenApiIT::resolve);
                operation.getResponses().forEach((code, response) -> {
                    ApiResponse r = resolve(response);
                    if (r.getContent() == null) {
                        return;
                    }
                    r.getContent().forEach((mediaType, content) -> {
                        if (content.getExamples() == null) {
                            return;
                        }
                        content.getExamples().forEach((name, example) -> {
                            Exchange e = exchange(
                                    name,
                                    operationKey,
                                    op.getKey().name(),
                                    path,
                                    operation,
                                    parameters,
                                    Integer.parseInt(code),
                                    mediaType,
                                    resolve(example));
                            assertThat(found.put(name, e))
                                    .as("example names are unique: " + name)
                                    .isNull();
                        });
                    });
                });
            }
        });
        return found;
    }

    private static Exchange exchange(
            String name,
            String operationKey,
            String method,
            String path,
            Operation operation,
            List<Parameter> parameters,
            int status,
            String mediaType,
            Example response) {
        Map<String, Object> x = response.getExtensions() == null ? Map.of() : response.getExtensions();
        String resolvedPath = path;
        Map<String, String> headers = new LinkedHashMap<>();
        List<String> query = new ArrayList<>();
        for (Parameter p : parameters) {
            Example value = p.getExamples() == null ? null : p.getExamples().get(name);
            if (value == null) {
                assertThat(p.getRequired() != null && p.getRequired())
                        .as("required parameter " + p.getName() + " has an example " + name)
                        .isFalse();
                continue;
            }
            String text = String.valueOf(resolve(value).getValue());
            switch (p.getIn()) {
                case "path" -> resolvedPath =
                        resolvedPath.replace("{" + p.getName() + "}", URLEncoder.encode(text, StandardCharsets.UTF_8));
                case "header" -> headers.put(p.getName(), text);
                case "query" -> query.add(URLEncoder.encode(p.getName(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(text, StandardCharsets.UTF_8));
                default -> throw new AssertionError("unexpected parameter location " + p.getIn());
            }
        }
        if (!query.isEmpty()) {
            resolvedPath = resolvedPath + "?" + String.join("&", query);
        }
        byte[] body = null;
        if (operation.getRequestBody() != null) {
            Map.Entry<String, MediaType> content = operation
                    .getRequestBody()
                    .getContent()
                    .entrySet()
                    .iterator()
                    .next();
            Example value = content.getValue().getExamples() == null
                    ? null
                    : content.getValue().getExamples().get(name);
            assertThat(value)
                    .as("request body example " + name + " of " + operationKey)
                    .isNotNull();
            try {
                body = Json31.mapper().writeValueAsBytes(resolve(value).getValue());
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            Object contentType = x.get("x-splitguard-content-type");
            headers.put("Content-Type", contentType != null ? contentType.toString() : content.getKey());
        }
        String token = token(operation, x.get("x-splitguard-token"));
        Object setup = x.get("x-splitguard-setup");
        Object notSent = x.get("x-splitguard-not-sent");
        List<String> after = new ArrayList<>();
        if (x.get("x-splitguard-after") instanceof List<?> list) {
            list.forEach(v -> after.add(v.toString()));
        }
        Map<String, JsonNode> eventually = new LinkedHashMap<>();
        if (x.get("x-splitguard-eventually") instanceof List<?> members) {
            JsonNode value = Json31.mapper().valueToTree(response.getValue());
            members.forEach(m -> eventually.put(m.toString(), canonical(value.path(m.toString()))));
        }
        String documentedType = null;
        if (response.getValue() instanceof Map<?, ?> map && map.get("type") != null) {
            documentedType = map.get("type").toString();
        } else if (response.getValue() != null) {
            JsonNode node = Json31.mapper().valueToTree(response.getValue());
            documentedType = node.path("type").isTextual() ? node.path("type").asText() : null;
        }
        return new Exchange(
                name,
                operationKey,
                method,
                resolvedPath,
                headers,
                body,
                token,
                setup == null ? "" : setup.toString(),
                after,
                notSent == null ? null : notSent.toString(),
                status,
                mediaType,
                mediaType.equals("application/problem+json") ? documentedType : null,
                eventually);
    }

    /** The node as the shared mapping reads it back (an int-sized long becomes an int, and so on). */
    private static JsonNode canonical(JsonNode node) {
        try {
            return io.splitguard.schemas.json.Json.mapper()
                    .readTree(io.splitguard.schemas.json.Json.mapper().writeValueAsBytes(node));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** True when the answer's members named by the exchange equal the example's. */
    private static boolean settled(Exchange exchange, HttpResponse<String> response) {
        if (response.statusCode() != exchange.status()) {
            return false;
        }
        JsonNode body = Fixtures.json(response);
        return exchange.eventually().entrySet().stream()
                .allMatch(e -> canonical(body.path(e.getKey())).equals(e.getValue()));
    }

    /** A token with the operation's scopes, none, or one with the scopes the example names. */
    private static String token(Operation operation, Object override) {
        if ("none".equals(override)) {
            return null;
        }
        if (override != null) {
            return Fixtures.token("acme", override.toString().split(" "));
        }
        List<SecurityRequirement> security =
                operation.getSecurity() != null ? operation.getSecurity() : api.getSecurity();
        if (security == null || security.isEmpty()) {
            return null;
        }
        List<String> scopes = security.get(0).getOrDefault("bearer", List.of());
        return Fixtures.token("acme", scopes.toArray(String[]::new));
    }

    private static Parameter resolve(Parameter p) {
        if (p.get$ref() == null) {
            return p;
        }
        return api.getComponents().getParameters().get(simpleName(p.get$ref()));
    }

    private static ApiResponse resolve(ApiResponse r) {
        if (r.get$ref() == null) {
            return r;
        }
        return api.getComponents().getResponses().get(simpleName(r.get$ref()));
    }

    private static Example resolve(Example e) {
        if (e.get$ref() == null) {
            return e;
        }
        return api.getComponents().getExamples().get(simpleName(e.get$ref()));
    }

    private static String simpleName(String ref) {
        return ref.substring(ref.lastIndexOf('/') + 1);
    }
}
