package io.splitguard.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.IdempotencyOutcome;
import io.splitguard.schemas.model.LeaseState;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.model.Verdict;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.topology.config.DedupConfig;
import io.splitguard.topology.processor.DeadLetters;
import io.splitguard.topology.processor.DedupNodes;
import io.splitguard.topology.processor.SessionSequence;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DedupTopologyTest {

    private static final Duration WINDOW = Duration.ofHours(24);
    private static final Instant T0 = Instant.parse("2026-05-15T14:32:00Z");

    @TempDir
    Path stateDir;

    private final TopicCatalog topics = TopicCatalog.builder()
            .prefix("test.")
            .sessionPartitions(4)
            .dedupWindow(WINDOW)
            .build();
    private TopologyTestDriver driver;
    private Instant wallClock;
    private TestInputTopic<String, MutationRequest> in;
    private TestInputTopic<String, byte[]> rawIn;
    private TestOutputTopic<String, SequencedMutation> mutations;
    private TestOutputTopic<String, IdempotencyOutcome> outcomes;
    private TestOutputTopic<String, AuditRecord> audit;
    private TestOutputTopic<byte[], byte[]> deadLetters;

    @BeforeEach
    void startDriver() {
        DedupConfig config = DedupConfig.fromEnv(
                Map.of(
                        DedupConfig.APPLICATION_ID,
                        "dedup-test",
                        CommonSettings.BOOTSTRAP_SERVERS,
                        "unused:9092",
                        CommonSettings.DEDUP_WINDOW,
                        WINDOW.toString(),
                        DedupConfig.STATE_DIR,
                        stateDir.toString(),
                        DedupConfig.COMMIT_INTERVAL_MS,
                        "100"),
                topics.deadLetters.name());
        driver = new TopologyTestDriver(DedupTopology.build(config, topics), config.streamsProperties(), T0);
        wallClock = T0;
        in = driver.createInputTopic(
                topics.mutationsIn.name(),
                Serdes.String().serializer(),
                topics.mutationsIn.valueSerde().serializer());
        rawIn = driver.createInputTopic(
                topics.mutationsIn.name(),
                Serdes.String().serializer(),
                Serdes.ByteArray().serializer());
        mutations = driver.createOutputTopic(
                topics.mutations.name(),
                Serdes.String().deserializer(),
                topics.mutations.valueSerde().deserializer());
        outcomes = driver.createOutputTopic(
                topics.idempotencyOutcomes.name(),
                Serdes.String().deserializer(),
                topics.idempotencyOutcomes.valueSerde().deserializer());
        audit = driver.createOutputTopic(
                topics.audit.name(),
                Serdes.String().deserializer(),
                topics.audit.valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(
                topics.deadLetters.name(),
                Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer());
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    /** Delivers {@code request} when the topology's wall clock reads {@code at}, stamped {@code at}. */
    private void send(MutationRequest request, Instant at) {
        sendStamped(request, at, at);
    }

    /** Delivers {@code request} at wall-clock time {@code at}, as a gateway whose clock read {@code stamp}. */
    private void sendStamped(MutationRequest request, Instant at, Instant stamp) {
        if (at.isAfter(wallClock)) {
            driver.advanceWallClockTime(Duration.between(wallClock, at));
            wallClock = at;
        }
        in.pipeInput(new TestRecord<>(request.sessionId(), request, stamp));
    }

    @Test
    void shouldApplyFirstDeliveryWithSequenceOne() {
        MutationRequest first = Fixtures.request("s1", "k1", "hello", T0);

        send(first, T0);

        List<SequencedMutation> applied = mutations.readValuesToList();
        assertThat(applied).singleElement().satisfies(m -> {
            assertThat(m.sequence()).isEqualTo(1);
            assertThat(m.scopedKey()).isEqualTo(first.scopedKey());
            assertThat(m.requestId()).isEqualTo(first.requestId());
        });
        assertThat(outcomes.readKeyValuesToMap())
                .containsOnlyKeys(first.scopedKey())
                .extractingByKey(first.scopedKey())
                .satisfies(o -> {
                    assertThat(o.lastVerdict()).isEqualTo(Verdict.APPLIED);
                    assertThat(o.lastRequestId()).isEqualTo(first.requestId());
                });
        assertThat(audit.readValuesToList())
                .extracting(AuditRecord::decision)
                .containsExactly(AuditRecord.Decision.APPLIED);
    }

    @Test
    void shouldFenceAFirstDeliveryWhoseTokenIsOlderThanTheSessionLeaseWhenTheLeaseMovedOn() {
        KeyValueStore<String, LeaseState> leases = driver.getKeyValueStore(DedupNodes.LEASE_STORE);
        leases.put("s1", LeaseState.granted("s1", 20, "eu-west", "tok", "c-1", null, 30_000, T0));
        MutationRequest zombie = Fixtures.request("s1", "k-old", "late", T0, 10L);
        MutationRequest holder = Fixtures.request("s1", "k-new", "current", T0, 20L);
        MutationRequest untokened = Fixtures.request("s1", "k-none", "no lease", T0, null);

        send(zombie, T0);
        send(holder, T0.plusSeconds(1));
        send(untokened, T0.plusSeconds(2));
        // the fenced key was not remembered: the same key with the current token applies
        send(Fixtures.request("s1", "k-old", "late", T0, 20L), T0.plusSeconds(3));

        assertThat(mutations.readValuesToList())
                .extracting(m -> m.idempotencyKey() + "/" + m.sequence() + "/" + m.fencingToken())
                .containsExactly("k-new/1/20", "k-none/2/null", "k-old/3/20");
        // the fenced decision reaches a waiting gateway as an outcome of the zombie's request; the key's
        // latest outcome is the later application
        List<IdempotencyOutcome> decided = outcomes.readValuesToList();
        assertThat(decided)
                .extracting(o -> o.idempotencyKey() + "/" + o.lastVerdict() + "/" + o.status())
                .containsExactly(
                        "k-old/FENCED/fenced",
                        "k-new/APPLIED/applied",
                        "k-none/APPLIED/applied",
                        "k-old/APPLIED/applied");
        assertThat(decided.get(0).lastRequestId()).isEqualTo(zombie.requestId());
        assertThat(decided.get(0).sequence()).isZero();
        assertThat(audit.readValuesToList())
                .extracting(a -> a.decision() + "/" + a.sequence())
                .containsExactly("FENCED/10", "APPLIED/1", "APPLIED/2", "APPLIED/3");
    }

    @Test
    void shouldFenceAnOlderTokenWhenTheSessionsLeaseEndedButItsTokenIsRemembered() {
        // the lease of token 20 was released (or expired and its lock-delay passed): nobody holds it, and
        // the entry stays as a fence for the fence retention
        driver.<String, LeaseState>getKeyValueStore(DedupNodes.LEASE_STORE).put("s3", LeaseState.cooling("s3", 20, T0));

        send(Fixtures.request("s3", "k-zombie", "late", T0, 10L), T0.plusSeconds(1));
        send(Fixtures.request("s3", "k-last", "last holder", T0, 20L), T0.plusSeconds(2));

        assertThat(audit.readValuesToList())
                .extracting(a -> a.decision() + "/" + a.sequence())
                .containsExactly("FENCED/10", "APPLIED/1");
        assertThat(mutations.readValuesToList())
                .extracting(SequencedMutation::idempotencyKey)
                .containsExactly("k-last");
    }

    @Test
    void shouldAnswerAReplayOfAnAppliedKeyAsADuplicateEvenWhenItsTokenWasSupersededSince() {
        MutationRequest first = Fixtures.request("s2", "k1", "hello", T0, 5L);
        send(first, T0);
        driver.<String, LeaseState>getKeyValueStore(DedupNodes.LEASE_STORE)
                .put("s2", LeaseState.granted("s2", 9, "eu-west", "tok", "c-9", null, 30_000, T0));

        send(Fixtures.request("s2", "k1", "hello", T0, 5L), T0.plusSeconds(1));

        assertThat(audit.readValuesToList())
                .extracting(AuditRecord::decision)
                .containsExactly(AuditRecord.Decision.APPLIED, AuditRecord.Decision.DUPLICATE);
    }

    @Test
    void shouldDropDuplicateDeliveredHoursLater() {
        MutationRequest first = Fixtures.request("s1", "k1", "hello", T0);
        MutationRequest retry = Fixtures.request("s1", "k1", "hello", T0.plus(Duration.ofHours(23)));

        send(first, T0);
        send(retry, T0.plus(Duration.ofHours(23)));

        assertThat(mutations.readValuesToList()).hasSize(1);
        List<IdempotencyOutcome> outcomeList = outcomes.readValuesToList();
        assertThat(outcomeList).hasSize(2);
        assertThat(outcomeList.get(1).lastVerdict()).isEqualTo(Verdict.DUPLICATE);
        assertThat(outcomeList.get(1).lastRequestId()).isEqualTo(retry.requestId());
        assertThat(outcomeList.get(1).sequence()).isEqualTo(1);
        assertThat(audit.readValuesToList())
                .extracting(AuditRecord::decision)
                .containsExactly(AuditRecord.Decision.APPLIED, AuditRecord.Decision.DUPLICATE);
    }

    @Test
    void shouldReportConflictWhenSameKeyCarriesAnotherPayload() {
        send(Fixtures.request("s1", "k1", "hello", T0), T0);
        MutationRequest other = Fixtures.request("s1", "k1", "different", T0.plusSeconds(5));

        send(other, T0.plusSeconds(5));

        assertThat(mutations.readValuesToList()).hasSize(1);
        IdempotencyOutcome last = outcomes.readValuesToList().get(1);
        assertThat(last.lastVerdict()).isEqualTo(Verdict.CONFLICT);
        assertThat(last.lastPayloadHash()).isEqualTo(other.payloadHash());
        assertThat(last.payloadHash()).isNotEqualTo(other.payloadHash());
        assertThat(audit.readValuesToList())
                .extracting(AuditRecord::decision)
                .containsExactly(AuditRecord.Decision.APPLIED, AuditRecord.Decision.CONFLICT);
    }

    @Test
    void shouldAcceptKeyAgainOnceTheProcessingClockPassesTheWindow() {
        send(Fixtures.request("s1", "k1", "hello", T0), T0);
        // the window plus twice the allowed instance skew (5 min), and a little more
        Instant later = T0.plus(WINDOW).plus(Duration.ofMinutes(11));
        send(Fixtures.request("s2", "other", "advance the store's time", later), later);

        send(Fixtures.request("s1", "k1", "hello", later.plusSeconds(1)), later.plusSeconds(1));

        assertThat(mutations.readValuesToList())
                .extracting(SequencedMutation::sessionId, SequencedMutation::sequence)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("s1", 1L),
                        org.assertj.core.groups.Tuple.tuple("s2", 1L),
                        org.assertj.core.groups.Tuple.tuple("s1", 2L));
    }

    @Test
    void shouldRecognizeReplayStampedEarlierThanTheOriginal() {
        send(Fixtures.request("s1", "k1", "hello", T0), T0);

        send(Fixtures.request("s1", "k1", "hello", T0.minusSeconds(30)), T0.minusSeconds(30));

        assertThat(mutations.readValuesToList()).hasSize(1);
    }

    @Test
    void shouldApplyOnceWhenOneDeliveryIsStampedADayAhead() {
        MutationRequest first = Fixtures.request("s1", "k1", "hello", T0);
        sendStamped(first, T0, T0.plus(Duration.ofHours(25)));

        for (int i = 1; i <= 3; i++) {
            sendStamped(Fixtures.request("s1", "k1", "hello", T0), T0.plusSeconds(i), T0.plusSeconds(i));
        }
        sendStamped(Fixtures.request("s1", "k1", "other body", T0), T0.plusSeconds(5), T0.plusSeconds(5));

        assertThat(mutations.readValuesToList())
                .extracting(SequencedMutation::sequence)
                .containsExactly(1L);
        assertThat(audit.readValuesToList())
                .extracting(AuditRecord::decision)
                .containsExactly(
                        AuditRecord.Decision.APPLIED,
                        AuditRecord.Decision.DUPLICATE,
                        AuditRecord.Decision.DUPLICATE,
                        AuditRecord.Decision.DUPLICATE,
                        AuditRecord.Decision.CONFLICT);
    }

    @Test
    void shouldRememberAKeyForTheWholeWindowWhenTheFirstGatewayRanFast() {
        sendStamped(Fixtures.request("s1", "k1", "hello", T0), T0, T0.plus(Duration.ofMinutes(10)));
        Instant retryAt = T0.plus(Duration.ofHours(23)).plus(Duration.ofMinutes(55));

        sendStamped(Fixtures.request("s1", "k1", "hello", retryAt), retryAt, retryAt);

        assertThat(mutations.readValuesToList()).hasSize(1);
        assertThat(audit.readValuesToList())
                .extracting(AuditRecord::decision)
                .containsExactly(AuditRecord.Decision.APPLIED, AuditRecord.Decision.DUPLICATE);
    }

    @Test
    void shouldRememberAKeyWhoseGatewayRanADayAndAHalfSlow() {
        sendStamped(Fixtures.request("s1", "k1", "hello", T0), T0, T0.minus(Duration.ofHours(37)));
        Instant retryAt = T0.plus(Duration.ofHours(1));

        sendStamped(Fixtures.request("s1", "k1", "hello", retryAt), retryAt, retryAt);

        assertThat(mutations.readValuesToList()).hasSize(1);
    }

    @Test
    void shouldStampOutputsWithTheProcessingClockNotTheSenders() {
        sendStamped(Fixtures.request("s1", "k1", "hello", T0), T0, T0.minus(Duration.ofDays(9)));

        TestRecord<String, SequencedMutation> applied = mutations.readRecord();
        assertThat(applied.getRecordTime()).isEqualTo(T0);
        assertThat(applied.value().appliedAt()).isEqualTo(T0);
        assertThat(audit.readRecord().getRecordTime()).isEqualTo(T0);
        assertThat(outcomes.readRecord().getRecordTime()).isEqualTo(T0);
    }

    @Test
    void shouldNumberEachSessionIndependently() {
        for (int i = 0; i < 3; i++) {
            send(Fixtures.request("a", "a" + i, "n" + i, T0.plusSeconds(i)), T0.plusSeconds(i));
            if (i < 2) {
                send(Fixtures.request("b", "b" + i, "n" + i, T0.plusSeconds(i)), T0.plusSeconds(i));
            }
        }

        List<SequencedMutation> applied = mutations.readValuesToList();
        assertThat(applied.stream().filter(m -> m.sessionId().equals("a")).map(SequencedMutation::sequence))
                .containsExactly(1L, 2L, 3L);
        assertThat(applied.stream().filter(m -> m.sessionId().equals("b")).map(SequencedMutation::sequence))
                .containsExactly(1L, 2L);
    }

    @Test
    void shouldDeadLetterPoisonAndKeepProcessing() {
        rawIn.pipeInput(new TestRecord<>("s1", "{not json".getBytes(StandardCharsets.UTF_8), T0));
        rawIn.pipeInput(new TestRecord<>("s1", "{\"schema_version\":1}".getBytes(StandardCharsets.UTF_8), T0));
        send(Fixtures.request("s1", "k1", "hello", T0), T0);

        List<TestRecord<byte[], byte[]>> dead = deadLetters.readRecordsToList();
        assertThat(dead).hasSize(2);
        assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("{not json");
        assertThat(dead.get(0).headers().lastHeader(DeadLetters.ERROR_MESSAGE)).isNotNull();
        assertThat(new String(
                        dead.get(1)
                                .headers()
                                .lastHeader(DeadLetters.ERROR_MESSAGE)
                                .value(),
                        StandardCharsets.UTF_8))
                .contains("schema");
        assertThat(new String(
                        dead.get(0)
                                .headers()
                                .lastHeader(DeadLetters.SOURCE_TOPIC)
                                .value(),
                        StandardCharsets.UTF_8))
                .isEqualTo(topics.mutationsIn.name());
        assertThat(mutations.readValuesToList())
                .extracting(SequencedMutation::sequence)
                .containsExactly(1L);
        assertThat(audit.readValuesToList())
                .extracting(AuditRecord::decision)
                .containsExactly(
                        AuditRecord.Decision.REJECTED, AuditRecord.Decision.REJECTED, AuditRecord.Decision.APPLIED);
    }

    @Test
    void shouldDeadLetterRecordWhoseKeyIsNotItsSession() {
        MutationRequest request = Fixtures.request("s1", "k1", "hello", T0);

        in.pipeInput(new TestRecord<>("s2", request, T0));

        assertThat(deadLetters.readRecordsToList()).hasSize(1);
        assertThat(mutations.isEmpty()).isTrue();
    }

    /** Advances the topology's wall clock to {@code at}, running any punctuation that falls due. */
    private void advanceTo(Instant at) {
        driver.advanceWallClockTime(Duration.between(wallClock, at));
        wallClock = at;
    }

    private KeyValueStore<String, SessionSequence> sequenceStore() {
        return driver.getKeyValueStore(DedupNodes.SEQUENCE_STORE);
    }

    @Test
    void shouldPurgeASessionIdlePastTheHorizonAndStartItsNextMutationInALaterEpoch() {
        Duration horizon = DedupConfig.DEFAULT_SESSION_IDLE_HORIZON;
        send(Fixtures.request("s1", "k1", "one", T0), T0);
        send(Fixtures.request("s1", "k2", "two", T0.plusSeconds(1)), T0.plusSeconds(1));
        Instant busyAt = T0.plus(horizon).minus(Duration.ofHours(1));
        send(Fixtures.request("s2", "k1", "busy", busyAt), busyAt);
        assertThat(sequenceStore().get("s1").lastSequence()).isEqualTo(2);

        advanceTo(T0.plus(horizon).plus(Duration.ofMinutes(2)));

        assertThat(sequenceStore().get("s1")).as("idle past the horizon").isNull();
        assertThat(sequenceStore().get("s2")).as("active within the horizon").isNotNull();
        Instant back = T0.plus(horizon).plus(Duration.ofMinutes(3));
        send(Fixtures.request("s1", "k3", "three", back), back);
        List<SequencedMutation> s1 = mutations.readValuesToList().stream()
                .filter(m -> m.sessionId().equals("s1"))
                .toList();
        assertThat(s1).extracting(SequencedMutation::sequence).containsExactly(1L, 2L, 1L);
        assertThat(s1.get(0).sessionEpoch()).isEqualTo(T0.toEpochMilli());
        assertThat(s1.get(1).sessionEpoch()).isEqualTo(s1.get(0).sessionEpoch());
        assertThat(s1.get(2).sessionEpoch())
                .as("the new epoch sorts after the purged one")
                .isEqualTo(back.toEpochMilli())
                .isGreaterThan(s1.get(1).sessionEpoch());
    }

    @Test
    void shouldNotPurgeASessionThatKeepsGettingMutations() {
        Duration horizon = DedupConfig.DEFAULT_SESSION_IDLE_HORIZON;
        Instant at = T0;
        for (int i = 0; i < 4; i++) {
            send(Fixtures.request("s1", "k" + i, "n" + i, at), at);
            at = at.plus(horizon.dividedBy(2));
        }
        advanceTo(at);

        assertThat(mutations.readValuesToList())
                .extracting(SequencedMutation::sequence, SequencedMutation::sessionEpoch)
                .containsExactly(
                        tuple(1L, T0.toEpochMilli()),
                        tuple(2L, T0.toEpochMilli()),
                        tuple(3L, T0.toEpochMilli()),
                        tuple(4L, T0.toEpochMilli()));
        assertThat(sequenceStore().get("s1").lastSequence()).isEqualTo(4);
    }

    @Test
    void shouldDateASessionStoredBeforeActivityWasRecordedAndPurgeItOneHorizonLater() {
        sequenceStore().put("legacy", new SessionSequence(0, 41, SessionSequence.UNKNOWN_ACTIVITY));

        advanceTo(T0.plus(Duration.ofMinutes(2)));
        assertThat(sequenceStore().get("legacy").lastActivityMs())
                .as("dated by the first purge run that sees it")
                .isGreaterThan(T0.toEpochMilli());
        send(Fixtures.request("legacy", "k1", "n", T0.plus(Duration.ofMinutes(3))), T0.plus(Duration.ofMinutes(3)));
        assertThat(mutations.readValue())
                .as("a legacy session continues its sequence in epoch 0")
                .extracting(SequencedMutation::sequence, SequencedMutation::sessionEpoch)
                .containsExactly(42L, 0L);

        advanceTo(T0.plus(DedupConfig.DEFAULT_SESSION_IDLE_HORIZON).plus(Duration.ofMinutes(10)));
        assertThat(sequenceStore().get("legacy")).isNull();
    }
}
