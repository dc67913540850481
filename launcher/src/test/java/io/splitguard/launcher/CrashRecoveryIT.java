package io.splitguard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.splitguard.infra.ChildJvm;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import java.net.ConnectException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline (gateway, dedup topology, sink: each its own OS process) is killed with SIGKILL
 * while concurrent clients are sending, so some answers never arrive. A fresh pipeline, whose gateway
 * remembers no answers, then gets every key again with the same body: every key ends up stored exactly
 * once with the body sent, and every session's sequences are 1..n, in PostgreSQL and on the committed
 * mutations topic alike.
 */
@ExtendWith(SharedInfra.class)
class CrashRecoveryIT {

    private static final int SESSIONS = 10;
    private static final int UPDATES = 600;
    private static final int CLIENTS = 16;
    /** Acknowledged sends (beyond the warm-up) after which the pipeline is killed. */
    private static final int ACKNOWLEDGED_BEFORE_CRASH = 150;

    /** What a single send before the crash learned. */
    enum Answer {
        /** 2xx: the gateway acknowledged the update. */
        ACKNOWLEDGED,
        /** The connection was refused: the request never reached a gateway. */
        NOT_RECEIVED,
        /** No answer (connection lost with the request sent) or a non-2xx answer: outcome unknown. */
        INDETERMINATE
    }

    @TempDir
    Path dir;

    @Test
    void shouldStoreEveryKeyOnceWhenThePipelineIsKilledWithSendsInFlightAndEveryKeyIsRedelivered() throws Exception {
        String name = SharedInfra.uniqueName("crash");
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        TopicCatalog topics =
                TopicCatalog.builder().prefix(name + ".").sessionPartitions(4).build();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        String jdbcUrl = SharedInfra.newDatabase(name);
        String applicationId = name + "-dedup";
        String sinkGroup = name + "-sink";
        Map<String, String> env = new HashMap<>();
        env.put("SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS", bootstrap);
        env.put("SPLITGUARD_TOPIC_PREFIX", topics.prefix());
        env.put("SPLITGUARD_SESSION_PARTITIONS", Integer.toString(topics.sessionPartitions()));
        env.put("SPLITGUARD_DEDUP_APPLICATION_ID", applicationId);
        env.put("SPLITGUARD_STATE_DIR", dir.resolve("streams").toString());
        env.put("SPLITGUARD_STREAMS_SESSION_TIMEOUT_MS", "6000");
        env.put("SPLITGUARD_STREAMS_HEARTBEAT_INTERVAL_MS", "1000");
        env.put("DATABASE_URL", jdbcUrl);
        env.put("DATABASE_USER", "postgres");
        env.put("DATABASE_PASSWORD", "");
        env.put("SPLITGUARD_SINK_GROUP_ID", sinkGroup);
        env.put("SPLITGUARD_SINK_CONSUMER_SESSION_TIMEOUT_MS", "6000");
        env.put("SPLITGUARD_SINK_CONSUMER_HEARTBEAT_INTERVAL_MS", "1000");
        env.put("SPLITGUARD_JWT_SECRET", Pipelines.SECRET);
        // health and metrics of the topology and sink processes on any free port, never a fixed one
        env.put("SPLITGUARD_MANAGEMENT_PORT", "0");
        // one broker: replication factor 1
        env.put("SPLITGUARD_ALLOW_REDUCED_DURABILITY", "true");
        Database db = new Database(jdbcUrl);
        GatewayClient client = new GatewayClient(DevTokensForTests.writer());

        Map<String, String> sent = new LinkedHashMap<>();
        for (int i = 0; i < UPDATES; i++) {
            sent.put(name + "-key-" + i, GatewayClient.body("session-" + (i % SESSIONS), i));
        }
        List<String> keys = List.copyOf(sent.keySet());

        // the services' logs stay in target/ for a failed run to be read
        Path logs = Files.createDirectories(Path.of("target", "crash-recovery-it", name));
        Services first = Services.start(env, dir, logs, "first");
        Services fresh = null;
        try {
            // Warm-up: one update per session, acknowledged and written, so the crash hits a pipeline in mid-stream.
            Map<String, Answer> answers = new ConcurrentHashMap<>();
            List<CompletableFuture<HttpResponse<String>>> warmUp = new ArrayList<>();
            for (String key : keys.subList(0, SESSIONS)) {
                warmUp.add(client.deliver(first.url, key, sent.get(key)));
                answers.put(key, Answer.ACKNOWLEDGED);
            }
            CompletableFuture.allOf(warmUp.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
            await("warm-up written")
                    .atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(200))
                    .failFast("a service process exited (logs in " + logs + ")", () -> !first.alive())
                    .until(() -> db.count("crm_contact_updates") == SESSIONS);

            // Concurrent single-try clients; the pipeline is killed while they send.
            AtomicInteger next = new AtomicInteger(SESSIONS);
            AtomicBoolean crashed = new AtomicBoolean();
            AtomicInteger acknowledged = new AtomicInteger();
            List<CompletableFuture<Void>> clients = IntStream.range(0, CLIENTS)
                    .mapToObj(
                            c -> sendUntilStopped(client, first.url, keys, sent, next, crashed, answers, acknowledged))
                    .toList();
            await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(5))
                    .until(() -> acknowledged.get() >= ACKNOWLEDGED_BEFORE_CRASH);
            // clients stop taking new keys once the gateway is dead; their sends in flight get no answer
            first.kill(() -> crashed.set(true));
            CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);

            Set<String> acked = keysWith(answers, Answer.ACKNOWLEDGED);
            Set<String> indeterminate = keysWith(answers, Answer.INDETERMINATE);
            Set<String> notReceived = new java.util.TreeSet<>(keysWith(answers, Answer.NOT_RECEIVED));
            keys.stream().filter(k -> !answers.containsKey(k)).forEach(notReceived::add);
            assertThat(acked).as("acknowledged before the crash").hasSizeGreaterThan(ACKNOWLEDGED_BEFORE_CRASH);
            assertThat(indeterminate)
                    .as("sends in flight when the pipeline was killed (their answers never came)")
                    .isNotEmpty();
            assertThat(notReceived).as("keys not delivered before the crash").isNotEmpty();

            // A fresh pipeline; its gateway holds no answers, so every redelivery goes to the topology.
            fresh = Services.start(withEnv(env, GatewayMain.CACHE_MAX_ENTRIES, "0"), dir, logs, "fresh");
            Topics.awaitInputLagZero(bootstrap, applicationId, topics.mutationsIn.name(), Duration.ofMinutes(2));
            List<Topics.Committed> recovered = Topics.readCommittedMutations(bootstrap, topics.mutations);
            db.awaitSinkPast(sinkGroup, topics.mutations.name(), recovered, Duration.ofMinutes(2));
            List<Database.Row> recoveredRows = db.rows();

            Map<String, Long> onTopic = Invariants.keyCounts(recovered);
            assertThat(acked).allSatisfy(key -> assertThat(onTopic.get(key))
                    .as("acknowledged key %s on the mutations topic", key)
                    .isEqualTo(1L));
            assertThat(indeterminate).allSatisfy(key -> assertThat(onTopic.getOrDefault(key, 0L))
                    .as("indeterminate key %s on the mutations topic", key)
                    .isLessThanOrEqualTo(1L));
            assertThat(onTopic.keySet())
                    .as("keys on the mutations topic that never reached a gateway")
                    .doesNotContainAnyElementsOf(notReceived);
            Invariants.assertTopicEqualsDatabase(recovered, recoveredRows);
            Invariants.assertGapless(Invariants.topicSequences(recovered), "the mutations topic after the crash");
            Invariants.assertGapless(Invariants.rowSequences(recoveredRows), "PostgreSQL after the crash");
            Invariants.assertBodiesAsSent(recovered, recoveredRows, sent);

            // Every key again, same body, through the fresh gateway, as a platform's retry queue would.
            long inputBefore = Topics.endOffsetSum(bootstrap, topics.mutationsIn.name());
            Semaphore inFlight = new Semaphore(32);
            List<CompletableFuture<HttpResponse<String>>> redeliveries = new ArrayList<>();
            for (String key : keys) {
                inFlight.acquire();
                CompletableFuture<HttpResponse<String>> answer = client.deliver(fresh.url, key, sent.get(key));
                answer.whenComplete((r, e) -> inFlight.release());
                redeliveries.add(answer);
            }
            CompletableFuture.allOf(redeliveries.toArray(CompletableFuture[]::new))
                    .get(3, TimeUnit.MINUTES);
            assertThat(Topics.endOffsetSum(bootstrap, topics.mutationsIn.name()) - inputBefore)
                    .as("redeliveries that reached the topology")
                    .isGreaterThanOrEqualTo(UPDATES);

            Topics.awaitInputLagZero(bootstrap, applicationId, topics.mutationsIn.name(), Duration.ofMinutes(2));
            List<Topics.Committed> mutations = Topics.readCommittedMutations(bootstrap, topics.mutations);
            db.awaitSinkPast(sinkGroup, topics.mutations.name(), mutations, Duration.ofMinutes(2));
            List<Database.Row> rows = db.rows();

            Map<String, Long> once =
                    keys.stream().collect(Collectors.toMap(k -> k, k -> 1L, (a, b) -> a, TreeMap::new));
            assertThat(new TreeMap<>(Invariants.keyCounts(mutations)))
                    .as("records per key on the committed mutations topic")
                    .isEqualTo(once);
            assertThat(new TreeMap<>(Invariants.rowCounts(rows)))
                    .as("rows per key in crm_contact_updates")
                    .isEqualTo(once);
            assertThat(new TreeMap<>(db.idempotencyStoreCounts()))
                    .as("rows per key in idempotency_store")
                    .isEqualTo(once);
            Map<String, List<Long>> expected = new TreeMap<>();
            for (int s = 0; s < SESSIONS; s++) {
                expected.put(
                        "session-" + s,
                        LongStream.rangeClosed(1, UPDATES / SESSIONS).boxed().toList());
            }
            assertThat(Invariants.topicSequences(mutations))
                    .as("sequences per session on the committed mutations topic")
                    .isEqualTo(expected);
            assertThat(Invariants.rowSequences(rows))
                    .as("sequences per session in crm_contact_updates")
                    .isEqualTo(expected);
            assertThat(db.sessionMarks())
                    .as("session_sequences.last_sequence")
                    .isEqualTo(expected.keySet().stream()
                            .collect(Collectors.toMap(s -> s, s -> (long) (UPDATES / SESSIONS))));
            Invariants.assertTopicEqualsDatabase(mutations, rows);
            Invariants.assertBodiesAsSent(mutations, rows, sent);
            assertThat(db.count("sink_refusals")).as("sink refusals").isZero();
        } finally {
            first.close();
            if (fresh != null) {
                fresh.close();
            }
        }
    }

    /** One client: sends the next unsent key once, records what it learned, until keys run out or the crash. */
    private static CompletableFuture<Void> sendUntilStopped(
            GatewayClient client,
            String url,
            List<String> keys,
            Map<String, String> sent,
            AtomicInteger next,
            AtomicBoolean crashed,
            Map<String, Answer> answers,
            AtomicInteger acknowledged) {
        if (crashed.get()) {
            return CompletableFuture.completedFuture(null);
        }
        int i = next.getAndIncrement();
        if (i >= keys.size()) {
            return CompletableFuture.completedFuture(null);
        }
        String key = keys.get(i);
        return client.post(url, key, sent.get(key))
                .handle((response, error) -> {
                    Answer answer = classify(response, error);
                    answers.put(key, answer);
                    if (answer == Answer.ACKNOWLEDGED) {
                        acknowledged.incrementAndGet();
                    }
                    return answer;
                })
                .thenCompose(a -> sendUntilStopped(client, url, keys, sent, next, crashed, answers, acknowledged));
    }

    private static Answer classify(HttpResponse<String> response, Throwable error) {
        if (error == null) {
            return response.statusCode() / 100 == 2 ? Answer.ACKNOWLEDGED : Answer.INDETERMINATE;
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return Answer.NOT_RECEIVED;
            }
        }
        return Answer.INDETERMINATE;
    }

    private static Set<String> keysWith(Map<String, Answer> answers, Answer answer) {
        return answers.entrySet().stream()
                .filter(e -> e.getValue() == answer)
                .map(Map.Entry::getKey)
                .collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    private static Map<String, String> withEnv(Map<String, String> env, String key, String value) {
        Map<String, String> copy = new HashMap<>(env);
        copy.put(key, value);
        return copy;
    }

    /** The pipeline as three OS processes: sink, dedup topology and gateway. */
    private static final class Services implements AutoCloseable {

        private final ChildJvm sink;
        private final ChildJvm topology;
        private final ChildJvm gateway;
        private final String url;

        private Services(ChildJvm sink, ChildJvm topology, ChildJvm gateway, String url) {
            this.sink = sink;
            this.topology = topology;
            this.gateway = gateway;
            this.url = url;
        }

        /** A service as its own OS process on the test's classpath: SIGKILL is a real crash. */
        private static ChildJvm process(String mainClass, Map<String, String> env, Path log) {
            return ChildJvm.start(ChildJvm.Spec.of(mainClass, mainClass, env, log)
                    .withJvmOptions(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1")));
        }

        static Services start(Map<String, String> env, Path dir, Path logs, String name) throws Exception {
            Path log = logs.resolve(name + ".log");
            Path urlFile = dir.resolve(name + ".url");
            ChildJvm sink = process("io.splitguard.sink.app.SinkMain", env, log);
            ChildJvm topology = process("io.splitguard.topology.app.DedupMain", env, log);
            ChildJvm gateway =
                    process(GatewayMain.class.getName(), withEnv(env, GatewayMain.URL_FILE, urlFile.toString()), log);
            await("gateway " + name + " serving")
                    .atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> Files.exists(urlFile) || !gateway.isAlive());
            assertThat(gateway.isAlive())
                    .as("gateway process %s (log: %s)", name, log)
                    .isTrue();
            return new Services(sink, topology, gateway, Files.readString(urlFile));
        }

        /**
         * SIGKILL, gateway first (then {@code gatewayDead} runs), topology and sink right after: answers in
         * flight are lost, nothing is flushed, committed or left cleanly.
         */
        void kill(Runnable gatewayDead) {
            gateway.kill();
            gatewayDead.run();
            topology.kill();
            sink.kill();
        }

        boolean alive() {
            return gateway.isAlive() && topology.isAlive() && sink.isAlive();
        }

        @Override
        public void close() {
            gateway.stop(Duration.ofSeconds(60));
            topology.stop(Duration.ofSeconds(60));
            sink.stop(Duration.ofSeconds(60));
        }
    }
}
