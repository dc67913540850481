package io.splitguard.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.checkpoint.config.CheckpointConfig;
import io.splitguard.checkpoint.processor.CheckpointNodes;
import io.splitguard.checkpoint.processor.DeadLetters;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.CheckpointRequest;
import io.splitguard.schemas.model.StoredCheckpoint;
import io.splitguard.schemas.topics.TopicCatalog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTopologyTest {

    private static final Instant T0 = Instant.parse("2026-05-15T14:32:00Z");
    private static final String APP = "checkpoint-test";
    private static final Duration PURGE = Duration.ofSeconds(30);

    @TempDir
    Path stateDir;

    private final TopicCatalog topics =
            TopicCatalog.builder().prefix("test.").sessionPartitions(4).build();
    private TopologyTestDriver driver;
    private Instant wallClock;
    private TestInputTopic<String, CheckpointRequest> in;
    private TestInputTopic<String, byte[]> rawIn;
    private TestOutputTopic<String, StoredCheckpoint> checkpoints;
    private TestOutputTopic<String, AuditRecord> audit;
    private TestOutputTopic<byte[], byte[]> deadLetters;
    private TestOutputTopic<String, byte[]> changelog;

    private void start(Map<String, String> settings) {
        Map<String, String> env = new HashMap<>(Map.of(
                CheckpointConfig.APPLICATION_ID,
                APP,
                CommonSettings.BOOTSTRAP_SERVERS,
                "unused:9092",
                CheckpointConfig.STATE_DIR,
                stateDir.toString(),
                CheckpointConfig.PURGE_INTERVAL,
                PURGE.toString()));
        env.putAll(settings);
        CheckpointConfig config = CheckpointConfig.fromEnv(env, topics.deadLetters.name());
        driver = new TopologyTestDriver(CheckpointTopology.build(config, topics), config.streamsProperties(), T0);
        wallClock = T0;
        in = driver.createInputTopic(
                topics.checkpointsIn.name(),
                Serdes.String().serializer(),
                topics.checkpointsIn.valueSerde().serializer());
        rawIn = driver.createInputTopic(
                topics.checkpointsIn.name(),
                Serdes.String().serializer(),
                Serdes.ByteArray().serializer());
        checkpoints = driver.createOutputTopic(
                topics.checkpoints.name(),
                Serdes.String().deserializer(),
                topics.checkpoints.valueSerde().deserializer());
        audit = driver.createOutputTopic(
                topics.audit.name(),
                Serdes.String().deserializer(),
                topics.audit.valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(
                topics.deadLetters.name(),
                Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer());
        changelog = driver.createOutputTopic(
                APP + "-" + CheckpointNodes.LATEST_STORE + "-changelog",
                Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer());
    }

    @BeforeEach
    void startDriver() {
        start(Map.of());
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    private void advanceTo(Instant at) {
        if (at.isAfter(wallClock)) {
            driver.advanceWallClockTime(Duration.between(wallClock, at));
            wallClock = at;
        }
    }

    /** Delivers {@code request} when the topology's wall clock reads {@code at}. */
    private void send(CheckpointRequest request, Instant at) {
        advanceTo(at);
        in.pipeInput(new TestRecord<>(request.sessionId(), request, at));
    }

    private KeyValueStore<String, StoredCheckpoint> store() {
        return driver.getKeyValueStore(CheckpointNodes.LATEST_STORE);
    }

    private List<AuditRecord.Decision> decisions() {
        return audit.readValuesToList().stream().map(AuditRecord::decision).toList();
    }

    @Test
    void shouldReplaceTheStoredCheckpointWhenANewerSequenceArrives() {
        send(Fixtures.checkpoint("s1", 100, "billing", 3600), T0);
        send(Fixtures.checkpoint("s1", 101, "priority", 3600), T0.plusSeconds(5));

        List<StoredCheckpoint> forwarded = checkpoints.readValuesToList();
        assertThat(forwarded).extracting(StoredCheckpoint::sequence).containsExactly(100L, 101L);
        StoredCheckpoint latest = store().get("s1");
        assertThat(latest.sequence()).isEqualTo(101);
        assertThat(latest.variables().get("routing_queue").asText()).isEqualTo("priority");
        assertThat(latest.storedAt()).isEqualTo(T0.plusSeconds(5));
        assertThat(latest.expiresAt()).isEqualTo(T0.plusSeconds(5 + 3600));
        assertThat(latest.sourceOffset()).isEqualTo(1);
        assertThat(decisions())
                .containsExactly(AuditRecord.Decision.CHECKPOINT_ACCEPTED, AuditRecord.Decision.CHECKPOINT_ACCEPTED);
    }

    @Test
    void shouldRejectAndAuditWhenTheSequenceIsOlderOrEqual() {
        send(Fixtures.checkpoint("s1", 200, "newest", 3600), T0);
        checkpoints.readValuesToList();
        audit.readValuesToList();
        StoredCheckpoint before = store().get("s1");
        changelog.readKeyValuesToList();

        CheckpointRequest lagging = Fixtures.checkpoint("s1", 150, "lagging-region", 3600);
        CheckpointRequest retry = Fixtures.checkpoint("s1", 200, "same-sequence", 3600);
        send(lagging, T0.plusSeconds(1));
        send(retry, T0.plusSeconds(2));

        assertThat(checkpoints.isEmpty()).as("nothing older is forwarded").isTrue();
        assertThat(store().get("s1").variables().get("routing_queue").asText()).isEqualTo("newest");
        List<AuditRecord> audited = audit.readValuesToList();
        assertThat(audited)
                .extracting(AuditRecord::decision, AuditRecord::sequence, AuditRecord::requestId)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                AuditRecord.Decision.CHECKPOINT_REJECTED_STALE, 150L, lagging.requestId()),
                        org.assertj.core.groups.Tuple.tuple(
                                AuditRecord.Decision.CHECKPOINT_REJECTED_STALE, 200L, retry.requestId()));
        assertThat(audited.get(0).detail()).contains("chk_200");
        assertThat(store().get("s1")).isEqualTo(before);
        assertThat(changelog.readValuesToList())
                .as("the unchanged value is written back, so the store's position covers the rejected records")
                .hasSize(2)
                .allSatisfy(v ->
                        assertThat(CheckpointTopology.storeSerde().fromBytes(v)).isEqualTo(before));
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void shouldPurgeWithTombstonesWhenTheTtlHasPassedOnTheWallClock() {
        send(Fixtures.checkpoint("s1", 1, "q", 60), T0);
        send(Fixtures.checkpoint("s2", 1, "q", 3600), T0);
        checkpoints.readKeyValuesToList();
        audit.readValuesToList();
        changelog.readKeyValuesToList();

        advanceTo(T0.plusSeconds(59));
        assertThat(store().get("s1")).as("not yet expired").isNotNull();
        assertThat(checkpoints.isEmpty()).isTrue();

        advanceTo(T0.plusSeconds(90));

        assertThat(store().get("s1")).isNull();
        assertThat(store().get("s2")).as("still live").isNotNull();
        assertThat(checkpoints.readKeyValuesToList()).containsExactly(KeyValue.pair("s1", null));
        assertThat(changelog.readKeyValuesToList()).containsExactly(KeyValue.pair("s1", null));
        assertThat(audit.readValuesToList()).singleElement().satisfies(a -> {
            assertThat(a.decision()).isEqualTo(AuditRecord.Decision.CHECKPOINT_EXPIRED);
            assertThat(a.sessionId()).isEqualTo("s1");
            assertThat(a.sequence()).isEqualTo(1L);
        });
    }

    @Test
    void shouldStartTheSessionAfreshWhenTheStoredCheckpointExpiredBeforeThePurgeRan() {
        driver.close();
        start(Map.of(CheckpointConfig.PURGE_INTERVAL, Duration.ofHours(1).toString()));
        send(Fixtures.checkpoint("s1", 500, "old", 10), T0);
        audit.readValuesToList();
        checkpoints.readValuesToList();

        send(Fixtures.checkpoint("s1", 3, "fresh", 3600), T0.plusSeconds(11));

        assertThat(store().get("s1").sequence()).isEqualTo(3);
        assertThat(checkpoints.readValuesToList())
                .extracting(StoredCheckpoint::sequence)
                .containsExactly(3L);
        assertThat(decisions())
                .containsExactly(AuditRecord.Decision.CHECKPOINT_EXPIRED, AuditRecord.Decision.CHECKPOINT_ACCEPTED);
    }

    @Test
    void shouldIgnoreTheSendersClockWhenReceivedAtIsSkewed() {
        Instant farFuture = T0.plus(Duration.ofDays(365));
        Instant farPast = T0.minus(Duration.ofDays(365));
        CheckpointRequest future = Fixtures.checkpoint("s1", 1, "q", 60, farFuture);
        CheckpointRequest past = Fixtures.checkpoint("s2", 1, "q", 60, farPast);
        advanceTo(T0);
        in.pipeInput(new TestRecord<>("s1", future, farFuture));
        in.pipeInput(new TestRecord<>("s2", past, farPast));

        assertThat(store().get("s1").expiresAt()).isEqualTo(T0.plusSeconds(60));
        assertThat(store().get("s2").expiresAt()).isEqualTo(T0.plusSeconds(60));
        assertThat(store().get("s1").receivedAt()).isEqualTo(farFuture);
        advanceTo(T0.plusSeconds(30));
        assertThat(store().get("s2"))
                .as("a sender in the past cannot expire it early")
                .isNotNull();
        advanceTo(T0.plusSeconds(61 + PURGE.toSeconds()));
        assertThat(store().get("s1"))
                .as("a sender in the future cannot keep it longer")
                .isNull();
        assertThat(store().get("s2")).isNull();
    }

    @Test
    void shouldCapTheTtlWhenTheRequestAsksForMoreThanTheMaximum() {
        driver.close();
        start(Map.of(CheckpointConfig.MAX_TTL, "PT10M"));

        send(Fixtures.checkpoint("s1", 1, "q", 86_400), T0);

        assertThat(store().get("s1").ttlSeconds()).isEqualTo(600);
        assertThat(store().get("s1").expiresAt()).isEqualTo(T0.plusSeconds(600));
    }

    @Test
    void shouldDropExcludedVariablesWhenStoring() {
        send(Fixtures.checkpoint("s1", 1, "q", 3600), T0);

        StoredCheckpoint stored = store().get("s1");
        assertThat(stored.variables().has("last_menu_selection")).isFalse();
        assertThat(stored.variables().has("routing_queue")).isTrue();
        assertThat(checkpoints.readValue().variables().has("last_menu_selection"))
                .isFalse();
        assertThat(new String(changelog.readValue(), StandardCharsets.UTF_8)).doesNotContain("last_menu_selection");
    }

    @Test
    void shouldDropTheConfiguredListWhenTheExclusionListIsOverridden() {
        driver.close();
        start(Map.of(CheckpointConfig.EXCLUDED_VARIABLES, "retry_count, auth_status"));

        send(Fixtures.checkpoint("s1", 1, "q", 3600), T0);

        assertThat(store().get("s1").variables().properties())
                .extracting(Map.Entry::getKey)
                .containsExactlyInAnyOrder("routing_queue", "crm_record_id", "last_menu_selection");
    }

    @Test
    void shouldDeadLetterWithHeadersWhenTheValueIsUndecodableSchemaInvalidOrForAnotherSession() throws Exception {
        advanceTo(T0);
        byte[] valid =
                topics.checkpointsIn.valueSerde().serializer().serialize("t", Fixtures.checkpoint("s9", 1, "q", 60));
        rawIn.pipeInput("s1", "{not json".getBytes(StandardCharsets.UTF_8));
        rawIn.pipeInput("s1", "{\"session_id\":\"s1\"}".getBytes(StandardCharsets.UTF_8));
        rawIn.pipeInput("s1", valid);
        ObjectNode noSequence = (ObjectNode) Json.mapper().readTree(valid);
        noSequence.put("session_id", "s1").put("checkpoint_id", "chk_x").remove("sequence");
        rawIn.pipeInput("s1", Json.mapper().writeValueAsBytes(noSequence));

        List<TestRecord<byte[], byte[]>> dead = deadLetters.readRecordsToList();
        assertThat(dead).hasSize(4);
        assertThat(dead).allSatisfy(r -> {
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("s1");
            assertThat(r.headers().lastHeader(DeadLetters.ERROR_CLASS)).isNotNull();
            assertThat(r.headers().lastHeader(DeadLetters.SOURCE_TOPIC).value())
                    .isEqualTo(topics.checkpointsIn.name().getBytes(StandardCharsets.UTF_8));
        });
        assertThat(new String(
                        dead.get(2)
                                .headers()
                                .lastHeader(DeadLetters.ERROR_MESSAGE)
                                .value(),
                        StandardCharsets.UTF_8))
                .contains("is not the session id");
        assertThat(dead.get(2).value()).isEqualTo(valid);
        assertThat(store().get("s1")).isNull();
        assertThat(store().get("s9")).isNull();
        assertThat(checkpoints.isEmpty()).isTrue();
        assertThat(decisions()).containsOnly(AuditRecord.Decision.REJECTED).hasSize(4);

        send(Fixtures.checkpoint("s1", 1, "q", 60), T0.plusSeconds(1));
        assertThat(store().get("s1")).as("the topology keeps running").isNotNull();
    }
}
