package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.infra.EmbeddedKafka;
import io.splitguard.schemas.model.IdempotencyKeys;
import io.splitguard.schemas.model.IdempotencyOutcome;
import io.splitguard.schemas.model.Verdict;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.TestHttp;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The outcomes listener of a gateway started while no broker is up keeps retrying (it never gives
 * up), readiness says it is not listening meanwhile, and once a broker appears on that address it
 * catches up with the outcomes topic and readiness turns ready.
 */
class OutcomesListenerBrokerIT {

    @Test
    void shouldCatchUpOnceTheBrokerIsThereWhenTheGatewayStartedBeforeIt() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        String bootstrap = "127.0.0.1:" + port;
        String prefix = "late-broker-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        TopicCatalog catalog = Fixtures.catalog(prefix);
        Path dataDir = Files.createTempDirectory("splitguard-late-broker-");
        TestHttp http;
        EmbeddedKafka kafka = null;
        try (GatewayServer gateway = Fixtures.start(Fixtures.properties(bootstrap, prefix))) {
            http = new TestHttp(gateway.url());

            // no broker: not ready, and the listener reports that it cannot read
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> r = http.get("/health/ready");
                assertThat(r.statusCode()).isEqualTo(503);
                JsonNode checks = Fixtures.json(r).path("checks");
                assertThat(checks.path("outcomes_listening").asBoolean(true)).isFalse();
                assertThat(checks.path("outcomes_caught_up").asBoolean(true)).isFalse();
            });

            kafka = EmbeddedKafka.start(dataDir, port);
            Fixtures.bootstrap(bootstrap, catalog);
            String key = "late-" + UUID.randomUUID();
            publishOutcome(bootstrap, catalog, key);

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                HttpResponse<String> r = http.get("/health/ready");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                JsonNode checks = Fixtures.json(r).path("checks");
                assertThat(checks.path("outcomes_listening").asBoolean()).isTrue();
                assertThat(checks.path("outcomes_caught_up").asBoolean()).isTrue();
            });
            // what was on the topic has been read
            HttpResponse<String> found =
                    http.get("/api/v2/idempotency/" + key, "Authorization", Fixtures.token("acme", "session:read"));
            assertThat(found.statusCode()).as(found.body()).isEqualTo(200);
            assertThat(Fixtures.json(found).path("status").asText()).isEqualTo("applied");
        } finally {
            if (kafka != null) {
                kafka.stop();
            }
            deleteQuietly(dataDir);
        }
    }

    private static void publishOutcome(String bootstrap, TopicCatalog catalog, String key) {
        String scoped = IdempotencyKeys.scoped("acme", "crm.contact.update", "s-late", key);
        IdempotencyOutcome outcome = new IdempotencyOutcome(
                scoped,
                key,
                "acme",
                "crm.contact.update",
                "s-late",
                "sha256:" + "cd".repeat(32),
                IdempotencyOutcome.STATUS_APPLIED,
                1,
                Instant.now(),
                Instant.now(),
                "r-late",
                Verdict.APPLIED,
                "sha256:" + "cd".repeat(32));
        try (KafkaProducer<String, IdempotencyOutcome> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
                catalog.idempotencyOutcomes.keySerde().serializer(),
                catalog.idempotencyOutcomes.valueSerde().serializer())) {
            producer.send(new ProducerRecord<>(catalog.idempotencyOutcomes.name(), scoped, outcome))
                    .get();
        } catch (Exception e) {
            throw new IllegalStateException("could not publish the outcome", e);
        }
    }

    private static void deleteQuietly(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        }
    }
}
