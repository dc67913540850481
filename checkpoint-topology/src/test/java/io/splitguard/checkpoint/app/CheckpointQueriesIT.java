package io.splitguard.checkpoint.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.checkpoint.CheckpointTopology;
import io.splitguard.checkpoint.Fixtures;
import io.splitguard.checkpoint.config.CheckpointConfig;
import io.splitguard.health.ManagementServer;
import io.splitguard.schemas.config.Settings;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.CheckpointRequest;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two checkpoint topology instances on the real broker, each serving {@code GET
 * /internal/checkpoints/{session_id}} on its management port (= its {@code application.server}): a read
 * through either instance returns the latest checkpoint, whichever instance owns the session.
 */
@ExtendWith(SharedInfra.class)
class CheckpointQueriesIT {

    private static final int PARTITIONS = 3;

    @TempDir
    Path stateA;

    @TempDir
    Path stateB;

    @Test
    void shouldReturnTheLatestCheckpointThroughEitherInstanceWhenTwoInstancesShareTheSessions() throws Exception {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String name = SharedInfra.uniqueName("checkpoint-queries");
        TopicCatalog topics = TopicCatalog.builder()
                .prefix(name + ".")
                .sessionPartitions(PARTITIONS)
                .build();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        List<AutoCloseable> open = new ArrayList<>();
        try {
            Instance a = Instance.start(bootstrap, name, topics, stateA, freePort());
            open.add(a);
            Instance b = Instance.start(bootstrap, name, topics, stateB, freePort());
            open.add(b);
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> a.streams.isRunning()
                            && b.streams.isRunning()
                            && activeTasks(a.streams.kafkaStreams()) > 0
                            && activeTasks(b.streams.kafkaStreams()) > 0);

            // per session an older checkpoint, the latest, then a stale one from a lagging region
            Map<String, RecordMetadata> latestWrite = new LinkedHashMap<>();
            List<String> sessions = new ArrayList<>();
            try (KafkaProducer<String, CheckpointRequest> producer = producer(bootstrap, topics)) {
                for (int i = 0; i < 12; i++) {
                    String session = "sess-" + UUID.randomUUID();
                    sessions.add(session);
                    send(producer, topics, Fixtures.checkpoint(session, 100, "old", 3600));
                    latestWrite.put(session, send(producer, topics, Fixtures.checkpoint(session, 200, "latest", 3600)));
                    send(producer, topics, Fixtures.checkpoint(session, 150, "stale", 3600));
                }
            }
            Set<String> owners = new HashSet<>();
            for (String session : sessions) {
                KeyQueryMetadata owner = a.streams
                        .kafkaStreams()
                        .queryMetadataForKey(
                                "latest-checkpoints", session, Serdes.String().serializer());
                owners.add(owner.activeHost().port() == a.port ? "a" : "b");
                RecordMetadata written = latestWrite.get(session);
                String path = CheckpointQueries.PREFIX + session + "?min_offset=" + written.partition() + ":"
                        + written.offset();
                for (Instance via : List.of(a, b)) {
                    HttpResponse<String> r = TestHttp.localhost(via.port).get(path);
                    assertThat(r.statusCode())
                            .as(session + " via " + via.port + ": " + r.body())
                            .isEqualTo(200);
                    JsonNode stored = Json.mapper().readTree(r.body());
                    assertThat(stored.path("session_id").asText()).isEqualTo(session);
                    assertThat(stored.path("sequence").asLong()).isEqualTo(200);
                    assertThat(stored.path("variables").path("routing_queue").asText())
                            .isEqualTo("latest");
                    assertThat(stored.path("source_offset").asLong()).isEqualTo(written.offset());
                }
            }
            // both instances owned some of the sessions, so reads were forwarded both ways
            assertThat(owners).containsExactlyInAnyOrder("a", "b");

            for (Instance via : List.of(a, b)) {
                HttpResponse<String> none =
                        TestHttp.localhost(via.port).get(CheckpointQueries.PREFIX + "sess-never-written");
                assertThat(none.statusCode()).isEqualTo(404);
                assertThat(Json.mapper().readTree(none.body()).path("reason").asText())
                        .isEqualTo("none");
            }
        } finally {
            for (AutoCloseable c : open) {
                c.close();
            }
        }
    }

    @Test
    void shouldAnswerExpiredOr503WhenTheCheckpointExpiredOrTheStoreHasNotReachedTheWrite() throws Exception {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String name = SharedInfra.uniqueName("checkpoint-queries-expiry");
        TopicCatalog topics = TopicCatalog.builder()
                .prefix(name + ".")
                .sessionPartitions(PARTITIONS)
                .build();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        try (Instance a = Instance.start(bootstrap, name, topics, stateA, freePort())) {
            await().atMost(Duration.ofSeconds(90)).until(a.streams::isRunning);
            String session = "sess-" + UUID.randomUUID();
            RecordMetadata written;
            try (KafkaProducer<String, CheckpointRequest> producer = producer(bootstrap, topics)) {
                written = send(producer, topics, Fixtures.checkpoint(session, 7, "short", 1));
            }
            TestHttp http = TestHttp.localhost(a.port);
            String path = CheckpointQueries.PREFIX + session;

            HttpResponse<String> first = http.get(path + "?min_offset=" + written.partition() + ":" + written.offset());
            assertThat(first.statusCode()).as(first.body()).isIn(200, 404);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                HttpResponse<String> r = http.get(path);
                assertThat(r.statusCode()).isEqualTo(404);
                assertThat(Json.mapper().readTree(r.body()).path("reason").asText())
                        .isEqualTo("expired");
            });

            // an offset the store has not reached (nothing was written there): 503 after the bounded wait
            HttpResponse<String> ahead =
                    http.get(path + "?min_offset=" + written.partition() + ":" + (written.offset() + 1000));
            assertThat(ahead.statusCode()).as(ahead.body()).isEqualTo(503);
            assertThat(http.get(path + "?min_offset=nonsense").statusCode()).isEqualTo(400);
        }
    }

    @Test
    void shouldServeTheLatestAcknowledgedCheckpointFromTheOtherInstanceWhenTheOwnerStops() throws Exception {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String name = SharedInfra.uniqueName("checkpoint-queries-failover");
        TopicCatalog topics = TopicCatalog.builder()
                .prefix(name + ".")
                .sessionPartitions(PARTITIONS)
                .build();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        Instance a = Instance.start(bootstrap, name, topics, stateA, freePort(), 1);
        boolean aStopped = false;
        try (Instance b = Instance.start(bootstrap, name, topics, stateB, freePort(), 1)) {
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> a.streams.isRunning()
                            && b.streams.isRunning()
                            && activeTasks(a.streams.kafkaStreams()) > 0
                            && activeTasks(b.streams.kafkaStreams()) > 0);
            List<String> ownedByA = new ArrayList<>();
            Map<String, RecordMetadata> latest = new LinkedHashMap<>();
            try (KafkaProducer<String, CheckpointRequest> producer = producer(bootstrap, topics)) {
                for (int i = 0; i < 12; i++) {
                    String session = "sess-" + UUID.randomUUID();
                    send(producer, topics, Fixtures.checkpoint(session, 1, "old", 3600));
                    latest.put(session, send(producer, topics, Fixtures.checkpoint(session, 2, "latest", 3600)));
                }
            }
            for (Map.Entry<String, RecordMetadata> e : latest.entrySet()) {
                KeyQueryMetadata owner = a.streams
                        .kafkaStreams()
                        .queryMetadataForKey(
                                "latest-checkpoints",
                                e.getKey(),
                                Serdes.String().serializer());
                if (owner.activeHost().port() == a.port) {
                    ownedByA.add(e.getKey());
                }
                // acknowledged and applied before the owner stops
                HttpResponse<String> r = TestHttp.localhost(b.port)
                        .get(CheckpointQueries.PREFIX + e.getKey() + "?min_offset="
                                + e.getValue().partition() + ":" + e.getValue().offset());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            }
            assertThat(ownedByA).isNotEmpty();

            a.close();
            aStopped = true;

            TestHttp survivor = TestHttp.localhost(b.port);
            for (String session : ownedByA) {
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    HttpResponse<String> r = survivor.get(CheckpointQueries.PREFIX + session);
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    JsonNode stored = Json.mapper().readTree(r.body());
                    assertThat(stored.path("sequence").asLong()).isEqualTo(2);
                    assertThat(stored.path("variables").path("routing_queue").asText())
                            .isEqualTo("latest");
                });
            }
        } finally {
            if (!aStopped) {
                a.close();
            }
        }
    }

    /**
     * Under exactly-once a crashed instance's store is wiped and restored from the changelog; Kafka Streams
     * calls the restoring task "active" already. The owner must answer 503 while it restores, never "none"
     * (or an older checkpoint) from the half-restored store, and the latest once it runs.
     */
    @Test
    void shouldAnswer503NotNoneWhenTheOwnerIsRestoringAWipedStore() throws Exception {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String name = SharedInfra.uniqueName("checkpoint-queries-restore");
        TopicCatalog topics = TopicCatalog.builder()
                .prefix(name + ".")
                .sessionPartitions(PARTITIONS)
                .build();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        int port = freePort();
        String session = "sess-" + UUID.randomUUID();
        RecordMetadata written;
        try (Instance a = Instance.start(bootstrap, name, topics, stateA, port)) {
            await().atMost(Duration.ofSeconds(90)).until(a.streams::isRunning);
            try (KafkaProducer<String, CheckpointRequest> producer = producer(bootstrap, topics)) {
                written = send(producer, topics, Fixtures.checkpoint(session, 5, "saved", 3600));
            }
            HttpResponse<String> r = TestHttp.localhost(port)
                    .get(CheckpointQueries.PREFIX + session + "?min_offset=" + written.partition() + ":"
                            + written.offset());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
        // what exactly-once does to the store of a crashed instance: gone, to be restored from the changelog
        try (Stream<Path> files = Files.list(stateA)) {
            for (Path p : files.toList()) {
                deleteTree(p);
            }
        }
        CountDownLatch restoring = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        StateRestoreListener holdRestore = new StateRestoreListener() {
            @Override
            public void onRestoreStart(TopicPartition partition, String store, long start, long end) {
                if (partition.partition() == written.partition()) {
                    restoring.countDown();
                    try {
                        release.await(120, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }

            @Override
            public void onBatchRestored(TopicPartition partition, String store, long end, long restored) {}

            @Override
            public void onRestoreEnd(TopicPartition partition, String store, long restored) {}
        };
        try (Instance a = Instance.start(bootstrap, name, topics, stateA, port, 0, holdRestore)) {
            assertThat(restoring.await(90, TimeUnit.SECONDS)).isTrue();
            TestHttp http = TestHttp.localhost(port);
            // the task is assigned here and restoring: no answer may say the session has no checkpoint
            await().atMost(Duration.ofSeconds(30)).until(() -> isActiveHere(a, session));
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> during = http.get(CheckpointQueries.PREFIX + session);
                assertThat(during.statusCode()).as(during.body()).isEqualTo(503);
            }
            release.countDown();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                HttpResponse<String> after = http.get(CheckpointQueries.PREFIX + session);
                assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
                assertThat(Json.mapper().readTree(after.body()).path("sequence").asLong())
                        .isEqualTo(5);
            });
        } finally {
            release.countDown();
        }
    }

    private static boolean isActiveHere(Instance instance, String session) {
        KeyQueryMetadata owner = instance.streams
                .kafkaStreams()
                .queryMetadataForKey(
                        "latest-checkpoints", session, Serdes.String().serializer());
        return owner != null && owner.activeHost() != null && owner.activeHost().port() == instance.port;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static int activeTasks(KafkaStreams streams) {
        return streams.metadataForLocalThreads().stream()
                .mapToInt(t -> t.activeTasks().size())
                .sum();
    }

    private static KafkaProducer<String, CheckpointRequest> producer(String bootstrap, TopicCatalog topics) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(
                config,
                topics.checkpointsIn.keySerde().serializer(),
                topics.checkpointsIn.valueSerde().serializer());
    }

    private static RecordMetadata send(
            KafkaProducer<String, CheckpointRequest> producer, TopicCatalog topics, CheckpointRequest value)
            throws Exception {
        return producer.send(new ProducerRecord<>(topics.checkpointsIn.name(), value.sessionId(), value))
                .get();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** One instance: its streams, queries and management port (its application.server). */
    private record Instance(CheckpointStreams streams, CheckpointQueries queries, ManagementServer server, int port)
            implements AutoCloseable {

        static Instance start(String bootstrap, String name, TopicCatalog topics, Path state, int port) {
            return start(bootstrap, name, topics, state, port, 0);
        }

        static Instance start(
                String bootstrap, String name, TopicCatalog topics, Path state, int port, int standbyReplicas) {
            return start(bootstrap, name, topics, state, port, standbyReplicas, null);
        }

        static Instance start(
                String bootstrap,
                String name,
                TopicCatalog topics,
                Path state,
                int port,
                int standbyReplicas,
                StateRestoreListener restores) {
            Map<String, String> env = new HashMap<>();
            env.put(CheckpointConfig.STANDBY_REPLICAS, Integer.toString(standbyReplicas));
            env.put("SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS", bootstrap);
            env.put(CheckpointConfig.APPLICATION_ID, name);
            env.put(CheckpointConfig.STATE_DIR, state.toString());
            env.put(CheckpointConfig.APPLICATION_SERVER, "localhost:" + port);
            env.put(CheckpointConfig.QUERY_MAX_WAIT, "PT1S");
            env.put(CheckpointConfig.PURGE_INTERVAL, "PT1H");
            CheckpointConfig config = CheckpointConfig.fromEnv(env, topics.deadLetters.name());
            CheckpointStreams streams =
                    CheckpointStreams.start(config, topics, CheckpointTopology.persistentStore(), restores);
            CheckpointQueries queries =
                    CheckpointMain.queries(streams, config, topics, Settings.parse(CheckpointConfig.DEFINITION, env));
            return new Instance(streams, queries, CheckpointMain.serve(streams, port, queries), port);
        }

        @Override
        public void close() {
            server.close();
            queries.close();
            streams.close();
        }
    }
}
