package io.splitguard.gateway.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.gateway.security.DevTokens;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;

/** Shared set-up of the gateway integration tests. */
final class Fixtures {

    static final String UPDATE = "/api/v2/integrations/crm/contact/update";

    /** The body of {@code response} as JSON; fails with the body when it is not JSON. */
    static JsonNode json(HttpResponse<String> response) {
        try {
            return Json.mapper().readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + response.body(), e);
        }
    }

    static final String SECRET = "it-secret-0123456789abcdef0123456789abcdef";
    static final int PARTITIONS = 3;

    private Fixtures() {}

    static TopicCatalog catalog(String prefix) {
        return TopicCatalog.builder()
                .prefix(prefix)
                .sessionPartitions(PARTITIONS)
                .build();
    }

    static void bootstrap(String bootstrapServers, TopicCatalog catalog) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            // describing a topic right after creating it can fail until the metadata has propagated
            Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                TopicBootstrap.ensure(admin, catalog, 10_000);
                return true;
            });
        }
    }

    static Map<String, Object> properties(String bootstrapServers, String prefix) {
        Map<String, Object> p = new HashMap<>();
        p.put("micronaut.server.port", -1);
        p.put("micronaut.security.token.jwt.signatures.secret.generator.secret", SECRET);
        p.put("splitguard.kafka.bootstrap-servers", bootstrapServers);
        p.put("splitguard.topic.prefix", prefix);
        p.put("splitguard.session.partitions", PARTITIONS);
        // one broker: replication factor 1
        p.put("splitguard.allow.reduced.durability", true);
        return p;
    }

    static GatewayServer start(Map<String, Object> properties) {
        return GatewayServer.start(properties);
    }

    /** A running checkpoint topology instance serving its interactive queries on its management port. */
    record CheckpointTopologyInstance(
            io.splitguard.checkpoint.app.CheckpointStreams streams,
            io.splitguard.checkpoint.app.CheckpointQueries queries,
            io.splitguard.health.ManagementServer server,
            String url)
            implements AutoCloseable {
        @Override
        public void close() {
            server.close();
            queries.close();
            streams.close();
        }
    }

    /**
     * Starts a checkpoint topology instance (application id {@code prefix + "checkpoint"}) whose
     * management port, also its {@code application.server}, serves {@code /internal/checkpoints/}.
     */
    static CheckpointTopologyInstance startCheckpointTopology(
            String bootstrapServers, String prefix, TopicCatalog catalog) throws IOException {
        int port;
        try (java.net.ServerSocket socket =
                new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Map<String, String> env = new HashMap<>();
        env.put(io.splitguard.schemas.config.CommonSettings.BOOTSTRAP_SERVERS, bootstrapServers);
        env.put(io.splitguard.checkpoint.config.CheckpointConfig.APPLICATION_ID, prefix + "checkpoint");
        env.put(
                io.splitguard.checkpoint.config.CheckpointConfig.STATE_DIR,
                java.nio.file.Files.createTempDirectory("gw-checkpoint-state").toString());
        env.put(io.splitguard.checkpoint.config.CheckpointConfig.APPLICATION_SERVER, "localhost:" + port);
        io.splitguard.checkpoint.config.CheckpointConfig config =
                io.splitguard.checkpoint.config.CheckpointConfig.fromEnv(env, catalog.deadLetters.name());
        io.splitguard.checkpoint.app.CheckpointStreams streams =
                io.splitguard.checkpoint.app.CheckpointStreams.start(config, catalog);
        io.splitguard.checkpoint.app.CheckpointQueries queries = io.splitguard.checkpoint.app.CheckpointMain.queries(
                streams,
                config,
                catalog,
                io.splitguard.schemas.config.Settings.parse(
                        io.splitguard.checkpoint.config.CheckpointConfig.DEFINITION, env));
        io.splitguard.health.ManagementServer server =
                io.splitguard.checkpoint.app.CheckpointMain.serve(streams, port, queries);
        return new CheckpointTopologyInstance(streams, queries, server, "http://localhost:" + port);
    }

    static String token(String tenant, String... scopes) {
        return "Bearer " + DevTokens.mint(SECRET, tenant, List.of(scopes), Duration.ofMinutes(30));
    }

    static String newSession() {
        return "sess-" + UUID.randomUUID();
    }

    static byte[] update(String sessionId, String notes, String timestamp) {
        String ts = timestamp == null ? "" : ",\"timestamp\":\"" + timestamp + "\"";
        String json = "{\"session_id\":\"" + sessionId + "\",\"contact_id\":\"c-42\",\"operation\":\"UPDATE_CONTACT\","
                + "\"payload\":{\"interaction_type\":\"voice\",\"agent_id\":\"a-7\",\"notes\":\"" + notes + "\"" + ts
                + "}}";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    /** Every committed record on mutations-in whose idempotency key is {@code key}. */
    static List<MutationRequest> mutationsWithKey(String bootstrapServers, TopicCatalog catalog, String key) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<MutationRequest> found = new ArrayList<>();
        try (KafkaConsumer<String, MutationRequest> consumer = new KafkaConsumer<>(
                config,
                catalog.mutationsIn.keySerde().deserializer(),
                catalog.mutationsIn.valueSerde().deserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int i = 0; i < catalog.sessionPartitions(); i++) {
                partitions.add(new TopicPartition(catalog.mutationsIn.name(), i));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!reached(consumer, end) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, MutationRequest> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() != null && key.equals(r.value().idempotencyKey())) {
                        found.add(r.value());
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
