package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.sink.db.SinkMigrations;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@code GET /api/v2/idempotency/{key}} past this instance's memory: the sink's {@code idempotency_store}
 * in a real PostgreSQL (schema from the sink's migrations) answers found/absent, and a database that
 * cannot answer makes it 503 "unknown", never 404.
 */
@ExtendWith(SharedInfra.class)
class IdempotencyLookupIT {

    private static final String ROUTE = "crm.contact.update";

    private static String jdbcUrl;
    private static GatewayServer gateway;
    private static GatewayServer hungDbGateway;
    private static ServerSocket hungDatabase;
    private static TestHttp http;
    private static TestHttp hungDbHttp;

    @BeforeAll
    static void start() throws IOException {
        jdbcUrl = SharedInfra.newDatabase("lookup");
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(jdbcUrl);
        ds.setUser(SharedInfra.postgres().user());
        ds.setPassword(SharedInfra.postgres().password());
        SinkMigrations.apply(ds);

        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String prefix = SharedInfra.uniqueName("lookup") + ".";
        Fixtures.bootstrap(bootstrap, Fixtures.catalog(prefix));

        Map<String, Object> props = Fixtures.properties(bootstrap, prefix);
        props.put("splitguard.idempotency.lookup.jdbc-url", jdbcUrl);
        props.put("splitguard.idempotency.lookup.user", SharedInfra.postgres().user());
        props.put(
                "splitguard.idempotency.lookup.password", SharedInfra.postgres().password());
        gateway = Fixtures.start(props);
        http = new TestHttp(gateway.url());

        // a "database" that accepts connections and never answers: every lookup must hit its timeout
        hungDatabase = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Map<String, Object> hung = Fixtures.properties(bootstrap, prefix);
        hung.put(
                "splitguard.idempotency.lookup.jdbc-url",
                "jdbc:postgresql://127.0.0.1:" + hungDatabase.getLocalPort() + "/splitguard");
        hung.put("splitguard.idempotency.lookup.user", "postgres");
        hung.put("splitguard.idempotency.lookup.timeout", "1s");
        hungDbGateway = Fixtures.start(hung);
        hungDbHttp = new TestHttp(hungDbGateway.url());

        await().atMost(Duration.ofSeconds(30))
                .until(() -> http.get("/health/ready").statusCode() == 200
                        && hungDbHttp.get("/health/ready").statusCode() == 200);
    }

    @AfterAll
    static void stop() throws IOException {
        if (gateway != null) {
            gateway.close();
        }
        if (hungDbGateway != null) {
            hungDbGateway.close();
        }
        if (hungDatabase != null) {
            hungDatabase.close();
        }
    }

    /** A row as the sink writes it for an applied key, and its crm_contact_updates row. */
    private static void storeApplied(
            String tenant, String session, String key, String hash, long sequence, Instant received, Instant applied)
            throws SQLException {
        String scoped = io.splitguard.schemas.model.IdempotencyKeys.scoped(tenant, ROUTE, session, key);
        try (Connection c = DriverManager.getConnection(
                jdbcUrl, SharedInfra.postgres().user(), SharedInfra.postgres().password())) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO idempotency_store (scoped_key,"
                    + " idempotency_key, tenant, route, session_id, payload_hash, status, response, sequence,"
                    + " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, 'applied', ?::jsonb, ?, ?, ?)")) {
                ps.setString(1, scoped);
                ps.setString(2, key);
                ps.setString(3, tenant);
                ps.setString(4, ROUTE);
                ps.setString(5, session);
                ps.setString(6, hash);
                ps.setString(7, "{\"status\":\"accepted\"}");
                ps.setLong(8, sequence);
                ps.setObject(9, received.atOffset(ZoneOffset.UTC));
                ps.setObject(10, received.plus(Duration.ofDays(7)).atOffset(ZoneOffset.UTC));
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO crm_contact_updates (scoped_key,"
                    + " idempotency_key, request_id, tenant, route, session_id, contact_id, operation, payload,"
                    + " payload_hash, sequence, received_at, applied_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?, 'c-42', 'UPDATE_CONTACT', '{}'::jsonb, ?, ?, ?, ?)")) {
                ps.setString(1, scoped);
                ps.setString(2, key);
                ps.setString(3, "req-" + UUID.randomUUID());
                ps.setString(4, tenant);
                ps.setString(5, ROUTE);
                ps.setString(6, session);
                ps.setString(7, hash);
                ps.setLong(8, sequence);
                ps.setObject(9, received.atOffset(ZoneOffset.UTC));
                ps.setObject(10, applied.atOffset(ZoneOffset.UTC));
                ps.executeUpdate();
            }
        }
    }

    private static String path(String key) {
        return "/api/v2/idempotency/" + URLEncoder.encode(key, StandardCharsets.UTF_8);
    }

    private static void assertProblem(HttpResponse<String> response, int status, String typeSuffix) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type"))
                .get()
                .asString()
                .startsWith("application/problem+json");
        assertThat(Fixtures.json(response).path("type").asText()).endsWith(typeSuffix);
    }

    @Test
    void shouldAnswerFromTheStoreWhenThisInstanceNeverHeldTheKey() throws SQLException {
        String key = "stored-" + UUID.randomUUID();
        String session = Fixtures.newSession();
        // received two days ago: past the 24 h window of any gateway's memory, within the store's 7 days
        Instant received = Instant.now().minus(Duration.ofDays(2)).truncatedTo(ChronoUnit.MILLIS);
        Instant applied = received.plusMillis(40);
        storeApplied("acme", session, key, "sha256:" + "ab".repeat(32), 17, received, applied);

        HttpResponse<String> found = http.get(path(key), "Authorization", Fixtures.token("acme", "session:read"));
        assertThat(found.statusCode()).as(found.body()).isEqualTo(200);
        assertThat(found.headers().firstValue("Content-Type")).get().asString().startsWith("application/json");
        JsonNode json = Fixtures.json(found);
        assertThat(json.path("idempotency_key").asText()).isEqualTo(key);
        assertThat(json.path("session_id").asText()).isEqualTo(session);
        assertThat(json.path("route").asText()).isEqualTo(ROUTE);
        assertThat(json.path("payload_hash").asText()).isEqualTo("sha256:" + "ab".repeat(32));
        assertThat(json.path("status").asText()).isEqualTo("applied");
        assertThat(json.path("sequence").asLong()).isEqualTo(17);
        assertThat(Instant.parse(json.path("received_at").asText())).isEqualTo(received);
        assertThat(Instant.parse(json.path("applied_at").asText())).isEqualTo(applied);
        assertThat(json.path("response_status").asInt()).isEqualTo(200);

        // the key is scoped by the token's tenant, as the gateway scopes every key
        assertProblem(
                http.get(path(key), "Authorization", Fixtures.token("other", "session:read")),
                404,
                "idempotency-key-unknown");
    }

    @Test
    void shouldAnswer404SayingTheStoreWasAskedWhenNoStoreKeepsTheKey() {
        HttpResponse<String> r =
                http.get(path("never-" + UUID.randomUUID()), "Authorization", Fixtures.token("acme", "session:read"));
        assertProblem(r, 404, "idempotency-key-unknown");
        assertThat(Fixtures.json(r).path("answered_from").asText()).isEqualTo("idempotency_store");
    }

    @Test
    void shouldAnswer503UnknownAndNever404WhenTheStoreIsUnreadable() {
        String token = Fixtures.token("acme", "session:read");
        for (int i = 0; i < 8; i++) {
            // the first ones hit the timeout, later ones the open circuit breaker: all 503
            HttpResponse<String> r = hungDbHttp.get(path("maybe-" + UUID.randomUUID()), "Authorization", token);
            assertProblem(r, 503, "idempotency-lookup-unavailable");
            assertThat(Fixtures.json(r).path("outcome").asText()).isEqualTo("unknown");
            assertThat(r.headers().firstValue("Retry-After")).isPresent();
        }
    }

    @Test
    void shouldAnswerWithoutTheStoreWhenTheKeyIsInThisInstancesMemory() {
        String key = "cached-" + UUID.randomUUID();
        String session = Fixtures.newSession();
        HttpResponse<String> first = hungDbHttp.post(
                Fixtures.UPDATE,
                Fixtures.update(session, "cached", null),
                "Authorization",
                Fixtures.token("acme", "session:write"),
                "Content-Type",
                "application/json",
                "Idempotency-Key",
                key);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);

        HttpResponse<String> r = hungDbHttp.get(path(key), "Authorization", Fixtures.token("acme", "session:read"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(Fixtures.json(r).path("session_id").asText()).isEqualTo(session);
    }
}
