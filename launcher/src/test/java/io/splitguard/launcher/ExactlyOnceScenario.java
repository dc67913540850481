package io.splitguard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.gateway.app.GatewayServer;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many updates, each delivered three times at once through two gateway instances, end in exactly
 * one row each, with every session's sequence 1..n without gaps. Written once, run against each
 * backend by subclassing: the in-JVM broker here, containers where Docker exists.
 */
abstract class ExactlyOnceScenario {

    private static final int SESSIONS = 50;
    private static final int UPDATES = 2_000;
    private static final int DELIVERIES = 3;

    @TempDir
    Path stateDir;

    /** Bootstrap servers of the Kafka cluster the scenario runs on. */
    abstract String bootstrapServers();

    /** JDBC URL of a fresh database (user postgres, empty password). */
    abstract String newDatabase(String name);

    @Test
    void shouldApplyEachOfTwoThousandUpdatesOnceWhenDeliveredThreeTimesConcurrently() throws Exception {
        String name = SharedInfra.uniqueName("eos");
        TopicCatalog topics =
                TopicCatalog.builder().prefix(name + ".").sessionPartitions(6).build();
        String bootstrap = bootstrapServers();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        String jdbcUrl = newDatabase(name);
        PipelineSettings settings = Pipelines.settings(bootstrap, jdbcUrl, topics, stateDir, name);
        try (Pipeline pipeline = Pipeline.start(settings);
                GatewayServer second = GatewayServer.start(Pipelines.gatewayProperties(settings))) {
            List<String> gateways =
                    List.of(pipeline.gatewayUrl(), second.url().toString().replaceAll("/$", ""));
            GatewayClient client =
                    new GatewayClient(pipeline.token(Duration.ofHours(1), "session:write", "session:read"));
            Semaphore inFlight = new Semaphore(64);
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            Map<String, String> sent = new HashMap<>();

            for (int i = 0; i < UPDATES; i++) {
                String session = "session-" + (i % SESSIONS);
                String key = name + "-key-" + i;
                String body = GatewayClient.body(session, i);
                sent.put(key, body);
                for (int d = 0; d < DELIVERIES; d++) {
                    inFlight.acquire();
                    CompletableFuture<HttpResponse<String>> answer =
                            client.deliver(gateways.get((i + d) % 2), key, body);
                    answer.whenComplete((r, e) -> inFlight.release());
                    answers.add(answer);
                }
            }
            CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);

            // Count only once the pipeline has caught up: the topology has committed its whole input (lag 0,
            // so the mutations topic is final) and the sink's stored position is past every committed record.
            Topics.awaitInputLagZero(
                    bootstrap, settings.dedupApplicationId(), topics.mutationsIn.name(), Duration.ofMinutes(2));
            List<Topics.Committed> mutations = Topics.readCommittedMutations(bootstrap, topics.mutations);
            Database db = new Database(jdbcUrl);
            db.awaitSinkPast(settings.sinkGroupId(), topics.mutations.name(), mutations, Duration.ofMinutes(2));

            assertThat(mutations).as("committed records on the mutations topic").hasSize(UPDATES);
            assertThat(db.count("crm_contact_updates")).isEqualTo(UPDATES);
            assertThat(db.count("idempotency_store")).isEqualTo(UPDATES);
            assertThat(db.queryLong("select count(distinct idempotency_key) from crm_contact_updates"))
                    .isEqualTo(UPDATES);
            assertThat(Invariants.keyCounts(mutations))
                    .as("records per key on the mutations topic")
                    .hasSize(UPDATES)
                    .allSatisfy((key, n) -> assertThat(n).as(key).isEqualTo(1L));
            Map<String, List<Long>> sequences = db.sequencesBySession();
            assertThat(sequences).hasSize(SESSIONS);
            Map<String, List<Long>> expected = new HashMap<>();
            sequences
                    .keySet()
                    .forEach(s -> expected.put(
                            s,
                            LongStream.rangeClosed(1, UPDATES / SESSIONS)
                                    .boxed()
                                    .toList()));
            assertThat(sequences).isEqualTo(expected);
            assertThat(Invariants.topicSequences(mutations))
                    .as("sequences per session on the mutations topic")
                    .isEqualTo(expected);
            List<Database.Row> rows = db.rows();
            Invariants.assertTopicEqualsDatabase(mutations, rows);
            Invariants.assertBodiesAsSent(mutations, rows, sent);
            assertThat(db.count("sink_refusals")).isZero();
        }
    }
}
