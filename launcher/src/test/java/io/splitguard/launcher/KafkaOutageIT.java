package io.splitguard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.infra.EmbeddedKafka;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** With Kafka gone the gateway answers 503 and never 2xx; once Kafka is back, nothing acknowledged is missing. */
@ExtendWith(SharedInfra.class)
class KafkaOutageIT {

    @TempDir
    Path dir;

    @Test
    void shouldAnswer503WhileKafkaIsDownAndLoseNothingOnceItIsBack() throws Exception {
        String name = SharedInfra.uniqueName("outage");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0)) {
            TopicCatalog topics = TopicCatalog.builder()
                    .prefix(name + ".")
                    .sessionPartitions(3)
                    .build();
            try (Admin admin =
                    Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
                TopicBootstrap.ensure(admin, topics, 60_000);
            }
            String jdbcUrl = SharedInfra.newDatabase(name);
            PipelineSettings base =
                    Pipelines.settings(kafka.bootstrapServers(), jdbcUrl, topics, dir.resolve("state"), name);
            try (Pipeline pipeline = Pipeline.start(base);
                    io.splitguard.gateway.app.GatewayServer gateway =
                            io.splitguard.gateway.app.GatewayServer.start(shortTimeouts(base))) {
                GatewayClient client = new GatewayClient(pipeline.token(Duration.ofHours(1), "session:write"));
                Map<String, String> sent = new HashMap<>();
                for (int i = 0; i < 20; i++) {
                    sent.put(name + "-before-" + i, GatewayClient.body("s" + (i % 4), i));
                }
                for (int i = 0; i < 10; i++) {
                    sent.put(name + "-during-" + i, GatewayClient.body("s" + (i % 4), 100 + i));
                }
                for (int i = 0; i < 20; i++) {
                    assertThat(client.post(
                                            gateway.url().toString().replaceAll("/$", ""),
                                            name + "-before-" + i,
                                            GatewayClient.body("s" + (i % 4), i))
                                    .get(30, TimeUnit.SECONDS)
                                    .statusCode())
                            .isEqualTo(200);
                }

                kafka.stop();
                List<HttpResponse<String>> during = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    during.add(client.post(
                                    gateway.url().toString().replaceAll("/$", ""),
                                    name + "-during-" + i,
                                    GatewayClient.body("s" + (i % 4), 100 + i))
                            .get(60, TimeUnit.SECONDS));
                }
                assertThat(during).allSatisfy(r -> {
                    assertThat(r.statusCode()).isEqualTo(503);
                    assertThat(r.headers().firstValue("Retry-After")).isPresent();
                    assertThat(r.headers().firstValue("Content-Type"))
                            .hasValueSatisfying(ct -> assertThat(ct).contains("problem+json"));
                });

                kafka.start();
                List<CompletableFuture<HttpResponse<String>>> retries = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    retries.add(client.deliver(
                            gateway.url().toString().replaceAll("/$", ""),
                            name + "-during-" + i,
                            GatewayClient.body("s" + (i % 4), 100 + i)));
                }
                CompletableFuture.allOf(retries.toArray(CompletableFuture[]::new))
                        .get(3, TimeUnit.MINUTES);

                // Wait for the pipeline to catch up, then compare what was committed with what was sent.
                Topics.awaitInputLagZero(
                        kafka.bootstrapServers(),
                        base.dedupApplicationId(),
                        topics.mutationsIn.name(),
                        Duration.ofMinutes(2));
                List<Topics.Committed> mutations =
                        Topics.readCommittedMutations(kafka.bootstrapServers(), topics.mutations);
                Database db = new Database(jdbcUrl);
                db.awaitSinkPast(base.sinkGroupId(), topics.mutations.name(), mutations, Duration.ofMinutes(2));
                List<Database.Row> rows = db.rows();

                Map<String, Long> once =
                        sent.keySet().stream().collect(Collectors.toMap(k -> k, k -> 1L, (a, b) -> a, TreeMap::new));
                assertThat(new TreeMap<>(Invariants.keyCounts(mutations)))
                        .as("records per key on the committed mutations topic")
                        .isEqualTo(once);
                assertThat(new TreeMap<>(Invariants.rowCounts(rows)))
                        .as("rows per key in crm_contact_updates")
                        .isEqualTo(once);
                // s0, s1: 5 updates before the outage and 3 during it; s2, s3: 5 and 2
                Map<String, List<Long>> expected = new TreeMap<>();
                Map.of("s0", 8, "s1", 8, "s2", 7, "s3", 7)
                        .forEach((session, n) -> expected.put(
                                session, LongStream.rangeClosed(1, n).boxed().toList()));
                assertThat(Invariants.topicSequences(mutations))
                        .as("sequences per session on the committed mutations topic")
                        .isEqualTo(expected);
                assertThat(Invariants.rowSequences(rows))
                        .as("sequences per session in crm_contact_updates")
                        .isEqualTo(expected);
                Invariants.assertTopicEqualsDatabase(mutations, rows);
                Invariants.assertBodiesAsSent(mutations, rows, sent);
            }
        }
    }

    private static Map<String, Object> shortTimeouts(PipelineSettings settings) {
        Map<String, Object> props = new HashMap<>(Pipelines.gatewayProperties(settings));
        props.put("splitguard.gateway.delivery-timeout", "3s");
        return props;
    }
}
