package io.splitguard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.JavaProcess;
import io.splitguard.testsupport.SharedInfra;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dedup topology and the sink run as their own processes and are killed with SIGKILL while
 * updates flow; after a restart every acknowledged update is in PostgreSQL exactly once.
 */
@ExtendWith(SharedInfra.class)
class CrashRecoveryIT {

    private static final int SESSIONS = 10;
    private static final int UPDATES = 600;

    @TempDir
    Path dir;

    @Test
    void shouldStayExactlyOnceWhenTopologyAndSinkAreKilledMidStream() throws Exception {
        String name = SharedInfra.uniqueName("crash");
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        TopicCatalog topics =
                TopicCatalog.builder().prefix(name + ".").sessionPartitions(4).build();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        String jdbcUrl = SharedInfra.newDatabase(name);
        PipelineSettings settings = Pipelines.settings(bootstrap, jdbcUrl, topics, dir.resolve("unused"), name);
        Map<String, String> env = new HashMap<>();
        env.put("SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS", bootstrap);
        env.put("SPLITGUARD_TOPIC_PREFIX", topics.prefix());
        env.put("SPLITGUARD_SESSION_PARTITIONS", Integer.toString(topics.sessionPartitions()));
        env.put("SPLITGUARD_DEDUP_APPLICATION_ID", name + "-dedup");
        env.put("SPLITGUARD_STATE_DIR", dir.resolve("streams").toString());
        env.put("SPLITGUARD_STREAMS_SESSION_TIMEOUT_MS", "6000");
        env.put("SPLITGUARD_STREAMS_HEARTBEAT_INTERVAL_MS", "1000");
        env.put("DATABASE_URL", jdbcUrl);
        env.put("DATABASE_USER", "postgres");
        env.put("DATABASE_PASSWORD", "");
        env.put("SPLITGUARD_SINK_GROUP_ID", name + "-sink");
        env.put("SPLITGUARD_SINK_CONSUMER_SESSION_TIMEOUT_MS", "6000");
        env.put("SPLITGUARD_SINK_CONSUMER_HEARTBEAT_INTERVAL_MS", "1000");
        Path log = dir.resolve("services.log");
        Database db = new Database(jdbcUrl);

        JavaProcess topology = JavaProcess.start("io.splitguard.topology.app.DedupMain", env, log);
        JavaProcess sink = JavaProcess.start("io.splitguard.sink.SinkMain", env, log);
        try (GatewayServer gateway = GatewayServer.start(Pipeline.gatewayProperties(settings))) {
            GatewayClient client = new GatewayClient(DevTokensForTests.writer());
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            answers.addAll(send(client, gateway.url().toString().replaceAll("/$", ""), name, 0, UPDATES / 2));
            CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(3, TimeUnit.MINUTES);
            await().atMost(Duration.ofMinutes(2)).until(() -> db.count("crm_contact_updates") > 0);

            topology.kill();
            sink.kill();
            answers.addAll(send(client, gateway.url().toString().replaceAll("/$", ""), name, UPDATES / 2, UPDATES));
            // deliver the first half again: replays must not be applied twice after the crash
            answers.addAll(send(client, gateway.url().toString().replaceAll("/$", ""), name, 0, UPDATES / 2));
            topology = JavaProcess.start("io.splitguard.topology.app.DedupMain", env, log);
            sink = JavaProcess.start("io.splitguard.sink.SinkMain", env, log);
            CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(3, TimeUnit.MINUTES);

            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> db.count("crm_contact_updates") >= UPDATES);
            assertThat(db.count("crm_contact_updates")).isEqualTo(UPDATES);
            assertThat(db.count("idempotency_store")).isEqualTo(UPDATES);
            Map<String, List<Long>> sequences = db.sequencesBySession();
            assertThat(sequences).hasSize(SESSIONS).allSatisfy((session, seqs) -> assertThat(seqs)
                    .isEqualTo(LongStream.rangeClosed(1, UPDATES / SESSIONS)
                            .boxed()
                            .toList()));
            assertThat(Topics.countCommitted(bootstrap, topics.mutations.name()))
                    .isEqualTo(UPDATES);
        } finally {
            topology.close();
            sink.close();
        }
    }

    private static List<CompletableFuture<HttpResponse<String>>> send(
            GatewayClient client, String url, String name, int from, int to) {
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = from; i < to; i++) {
            answers.add(client.deliver(url, name + "-key-" + i, GatewayClient.body("session-" + (i % SESSIONS), i)));
        }
        return answers;
    }
}
