package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.gateway.idempotency.IdempotencyCache;
import io.splitguard.gateway.kafka.OutcomesListener;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import io.splitguard.topology.app.DedupStreams;
import io.splitguard.topology.config.DedupConfig;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code Prefer: wait=N} with the dedup topology running, and two gateway instances sharing the
 * topics: the topology's verdict (applied / duplicate / conflict) reaches the waiting client.
 */
@ExtendWith(SharedInfra.class)
class PreferWaitIT {

    private static String bootstrap;
    private static TopicCatalog catalog;
    private static DedupStreams topology;
    private static GatewayServer gatewayA;
    private static GatewayServer gatewayB;
    private static GatewayServer forgetful;
    private static TestHttp httpForgetful;
    private static TestHttp httpA;
    private static TestHttp httpB;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        bootstrap = SharedInfra.kafka().bootstrapServers();
        String prefix = SharedInfra.uniqueName("preferwait") + ".";
        catalog = Fixtures.catalog(prefix);
        Fixtures.bootstrap(bootstrap, catalog);
        Path state = Files.createTempDirectory("gw-dedup-state");
        DedupConfig config = DedupConfig.fromEnv(
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
                catalog.deadLetters.name());
        topology = DedupStreams.start(config, catalog);
        gatewayA = Fixtures.start(Fixtures.properties(bootstrap, prefix));
        gatewayB = Fixtures.start(Fixtures.properties(bootstrap, prefix));
        httpA = new TestHttp(gatewayA.url());
        httpB = new TestHttp(gatewayB.url());
        // an instance whose answer cache holds nothing: every answer must come from the filter + verdict path
        Map<String, Object> noCache = Fixtures.properties(bootstrap, prefix);
        noCache.put("splitguard.gateway.cache-max-entries", 0);
        forgetful = Fixtures.start(noCache);
        httpForgetful = new TestHttp(forgetful.url());
        token = Fixtures.token("acme", "session:write");
        await().atMost(Duration.ofSeconds(60)).until(topology::isRunning);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> httpA.get("/health/ready").statusCode() == 200
                        && httpB.get("/health/ready").statusCode() == 200
                        && httpForgetful.get("/health/ready").statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {gatewayA, gatewayB, forgetful, topology}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    // best effort at the end of the class
                }
            }
        }
    }

    private static CompletableFuture<HttpResponse<String>> post(TestHttp http, byte[] body, String key, String prefer) {
        return http.postAsync(
                Fixtures.UPDATE,
                body,
                "Authorization",
                token,
                "Content-Type",
                "application/json",
                "Idempotency-Key",
                key,
                "Prefer",
                prefer);
    }

    @Test
    void shouldDeliverTheVerdictsOfTheTopologyToTheWaitingClient() {
        String session = Fixtures.newSession();
        String key1 = "wait-" + UUID.randomUUID();
        byte[] body1 = Fixtures.update(session, "applied once", null);
        OutcomesListener listenerB = gatewayB.context().getBean(OutcomesListener.class);
        // B must not learn key1 from the outcomes topic before its own delivery is produced
        listenerB.pause();
        try {
            HttpResponse<String> applied = post(httpA, body1, key1, "wait=5").join();
            assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
            assertThat(applied.headers().firstValue("Preference-Applied")).contains("wait=5");
            JsonNode first = Fixtures.json(applied);
            assertThat(first.path("status").asText()).isEqualTo("applied");
            assertThat(first.path("idempotency_key").asText()).isEqualTo(key1);
            long sequence = first.path("sequence").asLong();
            assertThat(sequence).isPositive();

            // a new key on the same session is applied with the next sequence number
            HttpResponse<String> next = post(
                            httpA, Fixtures.update(session, "second", null), "wait-" + UUID.randomUUID(), "wait=5")
                    .join();
            assertThat(Fixtures.json(next).path("status").asText()).isEqualTo("applied");
            assertThat(Fixtures.json(next).path("sequence").asLong()).isGreaterThan(sequence);

            // the same delivery through instance B: produced again, and the topology calls it a duplicate
            CompletableFuture<HttpResponse<String>> duplicate = post(httpB, body1, key1, "wait=5");
            await().atMost(Duration.ofSeconds(10))
                    .until(() ->
                            Fixtures.mutationsWithKey(bootstrap, catalog, key1).size() == 2);
            listenerB.resume();
            HttpResponse<String> dup = duplicate.join();
            assertThat(dup.statusCode()).as(dup.body()).isEqualTo(200);
            assertThat(dup.headers().firstValue("Idempotent-Replayed")).isEmpty();
            assertThat(dup.headers().firstValue("Preference-Applied")).contains("wait=5");
            assertThat(Fixtures.json(dup).path("status").asText()).isEqualTo("duplicate");
            assertThat(Fixtures.json(dup).path("sequence").asLong()).isEqualTo(sequence);
        } finally {
            listenerB.resume();
        }

        // B now knows the key from the outcomes topic and replays locally
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            HttpResponse<String> replay = post(httpB, body1, key1, "wait=5").join();
            assertThat(replay.statusCode()).isEqualTo(200);
            assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
        });
        assertThat(Fixtures.mutationsWithKey(bootstrap, catalog, key1)).hasSize(2);
    }

    @Test
    void shouldAnswerAConflictWhenAnotherPayloadIsDeliveredThroughAnotherInstance() {
        String session = Fixtures.newSession();
        String key = "conflict-" + UUID.randomUUID();
        OutcomesListener listenerB = gatewayB.context().getBean(OutcomesListener.class);
        listenerB.pause();
        try {
            HttpResponse<String> applied = post(httpA, Fixtures.update(session, "original", null), key, "wait=5")
                    .join();
            assertThat(Fixtures.json(applied).path("status").asText()).isEqualTo("applied");

            CompletableFuture<HttpResponse<String>> conflicting =
                    post(httpB, Fixtures.update(session, "changed", null), key, "wait=5");
            await().atMost(Duration.ofSeconds(10))
                    .until(() ->
                            Fixtures.mutationsWithKey(bootstrap, catalog, key).size() == 2);
            listenerB.resume();
            HttpResponse<String> conflict = conflicting.join();
            assertThat(conflict.statusCode()).as(conflict.body()).isEqualTo(422);
            assertThat(conflict.headers().firstValue("Content-Type"))
                    .get()
                    .asString()
                    .startsWith("application/problem+json");
        } finally {
            listenerB.resume();
        }
    }

    @Test
    void shouldAnswerThePlainAcceptanceWhenNoVerdictArrivesInTime() {
        String key = "late-" + UUID.randomUUID();
        OutcomesListener listenerA = gatewayA.context().getBean(OutcomesListener.class);
        listenerA.pause();
        try {
            HttpResponse<String> r = post(httpA, Fixtures.update(Fixtures.newSession(), "late", null), key, "wait=1")
                    .join();
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(Fixtures.json(r).path("status").asText()).isEqualTo("accepted");
            assertThat(r.headers().firstValue("Preference-Applied")).isEmpty();
        } finally {
            listenerA.resume();
        }
    }

    private static HttpResponse<String> postPlain(TestHttp http, byte[] body, String key) {
        return http.post(
                Fixtures.UPDATE,
                body,
                "Authorization",
                token,
                "Content-Type",
                "application/json",
                "Idempotency-Key",
                key);
    }

    @Test
    void shouldAnswerIndependentlyOfTheCacheSize() {
        String session = Fixtures.newSession();
        String key = "evicted-" + UUID.randomUUID();
        byte[] body = Fixtures.update(session, "remember me", null);

        HttpResponse<String> first = postPlain(httpForgetful, body, key);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(forgetful.context().getBean(IdempotencyCache.class).size()).isZero();

        // the answer is gone from this instance's cache, yet a replay is answered as a replay
        HttpResponse<String> replay = postPlain(httpForgetful, body, key);
        assertThat(replay.statusCode()).as(replay.body()).isEqualTo(200);
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(Fixtures.json(replay).path("received_at").asText())
                .isEqualTo(Fixtures.json(first).path("received_at").asText());
        assertThat(Fixtures.json(replay).path("payload_hash").asText())
                .isEqualTo(Fixtures.json(first).path("payload_hash").asText());

        // and another payload under the key is refused
        HttpResponse<String> other = postPlain(httpForgetful, Fixtures.update(session, "changed", null), key);
        assertThat(other.statusCode()).as(other.body()).isEqualTo(422);
        assertThat(Fixtures.json(other).path("type").asText()).contains("idempotency-key-reused");

        // a key never seen is answered at once, with no verdict wait needed
        HttpResponse<String> fresh = postPlain(httpForgetful, body, "fresh-" + UUID.randomUUID());
        assertThat(fresh.statusCode()).isEqualTo(200);
        assertThat(fresh.headers().firstValue("Idempotent-Replayed")).isEmpty();
    }
}
