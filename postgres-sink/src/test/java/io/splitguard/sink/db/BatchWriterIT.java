package io.splitguard.sink.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.sink.consumer.Inbound;
import io.splitguard.testsupport.SharedInfra;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.ds.PGSimpleDataSource;

@ExtendWith(SharedInfra.class)
class BatchWriterIT {

    private static final String TOPIC = "w.mutations";
    private static final TopicPartition TP = new TopicPartition(TOPIC, 0);

    private PGSimpleDataSource ds;
    private BatchWriter writer;

    @BeforeEach
    void setUp() {
        ds = new PGSimpleDataSource();
        ds.setUrl(SharedInfra.postgres().createDatabase(SharedInfra.uniqueName("writer")));
        ds.setUser(SharedInfra.postgres().user());
        ds.setPassword(SharedInfra.postgres().password());
        SinkMigrations.apply(ds);
        writer = new BatchWriter(ds, "g", Duration.ofDays(7));
    }

    @Test
    void shouldRefuseToWriteWhenAnotherWriterHasMovedTheStoredOffset() throws Exception {
        BatchWriter.Outcome first = writer.write(List.of(record(0, "s1", 1)), Map.of(), () -> false);
        assertThat(first.nextOffsets()).containsExactly(Map.entry(TP, 1L));

        // a zombie that still believes nothing was stored
        assertThatThrownBy(() -> writer.write(List.of(record(1, "s1", 2)), Map.of(), () -> false))
                .isInstanceOf(BatchWriter.StaleOffsetsException.class)
                .hasMessageContaining("is 1");
        assertThat(count("SELECT count(*) FROM crm_contact_updates")).isEqualTo(1);

        writer.write(List.of(record(1, "s1", 2)), Map.of(TP, 1L), () -> false);
        assertThat(count("SELECT next_offset FROM sink_offsets")).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM crm_contact_updates")).isEqualTo(2);
    }

    @Test
    void shouldWriteASessionFromSequenceOneAndRefuseItsOlderEpochWhenItRestartsInALaterEpoch() throws Exception {
        writer.write(List.of(record(0, "s1", 1_000, 1), record(1, "s1", 1_000, 2)), Map.of(), () -> false);

        BatchWriter.Outcome later = writer.write(
                List.of(record(2, "s1", 2_000, 1), record(3, "s1", 1_000, 3), record(4, "s1", 2_000, 2)),
                Map.of(TP, 2L),
                () -> false);

        assertThat(later.written()).isEqualTo(2);
        assertThat(later.refusals())
                .singleElement()
                .satisfies(r -> assertThat(r.reason()).isEqualTo("sequence_not_greater"))
                .satisfies(r -> assertThat(r.record().offset()).isEqualTo(3));
        assertThat(rows("SELECT session_epoch, sequence FROM crm_contact_updates ORDER BY session_epoch, sequence"))
                .containsExactly(List.of(1_000L, 1L), List.of(1_000L, 2L), List.of(2_000L, 1L), List.of(2_000L, 2L));
        assertThat(rows("SELECT session_epoch, last_sequence FROM session_sequences"))
                .containsExactly(List.of(2_000L, 2L));
        assertThat(rows("SELECT session_epoch, sequence, stored_session_epoch, stored_sequence FROM sink_refusals"))
                .containsExactly(List.of(1_000L, 3L, 2_000L, 1L));
    }

    @Test
    void shouldDeleteOnlyTheMarksOfSessionsIdlePastTheHorizonWhenThePruneJobRuns() throws Exception {
        writer.write(List.of(record(0, "idle", 1_000, 1), record(1, "busy", 1_000, 1)), Map.of(), () -> false);
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE session_sequences SET updated_at = now() - interval '49 hours'"
                    + " WHERE session_id = 'idle'");
        }
        Pruner pruner = new Pruner(ds, 1);

        assertThat(pruner.pruneIdleSessions(Duration.ofDays(2))).isEqualTo(1);
        assertThat(pruner.pruneIdleSessions(Duration.ofDays(2))).isZero();

        assertThat(rows("SELECT session_id FROM session_sequences")).containsExactly(List.of("busy"));
        // the purged session comes back in the epoch the topology starts for it
        BatchWriter.Outcome back = writer.write(List.of(record(2, "idle", 9_000, 1)), Map.of(TP, 2L), () -> false);
        assertThat(back.written()).isEqualTo(1);
        assertThat(rows("SELECT session_epoch, last_sequence FROM session_sequences WHERE session_id = 'idle'"))
                .containsExactly(List.of(9_000L, 1L));
        assertThat(count("SELECT count(*) FROM crm_contact_updates WHERE session_id = 'idle'"))
                .as("rows are never pruned: they keep refusing keys applied before")
                .isEqualTo(2);
    }

    @Test
    void shouldStoreNumbersExactlyAsTheyWereSentWhenADoubleWouldRoundThem() throws Exception {
        String payload = "{\"precise\":0.1000000000000000000001,\"scaled\":1.50,\"huge\":1e400,"
                + "\"long\":123456789012345678901234567890}";
        Inbound.Mutation m = record(0, "s1", 1);
        ObjectNode body = m.value().body().deepCopy();
        body.set("payload", Json.mapper().readTree(payload));
        SequencedMutation v = m.value();
        SequencedMutation exact = new SequencedMutation(
                v.requestId(),
                v.tenant(),
                v.route(),
                v.sessionId(),
                v.idempotencyKey(),
                v.scopedKey(),
                v.payloadHash(),
                v.sequence(),
                null,
                v.receivedAt(),
                v.appliedAt(),
                body);
        // through the topic's bytes, as the sink reads it
        byte[] onTheTopic = Json.mapper().writeValueAsBytes(exact);
        SequencedMutation read = Json.mapper().readValue(onTheTopic, SequencedMutation.class);

        writer.write(List.of(new Inbound.Mutation(TOPIC, 0, 0, null, onTheTopic, read)), Map.of(), () -> false);

        assertThat(rows("SELECT payload->>'precise', payload->>'scaled', payload->>'long'," + " payload = '" + payload
                        + "'::jsonb FROM crm_contact_updates"))
                .containsExactly(List.of("0.1000000000000000000001", "1.50", "123456789012345678901234567890", true));
    }

    @Test
    void shouldLeaveNoTraceWhenABatchIsAborted() throws Exception {
        assertThatThrownBy(() -> writer.write(List.of(record(0, "s1", 1), record(1, "s2", 1)), Map.of(), () -> true))
                .isInstanceOf(BatchWriter.AbortedException.class);

        assertThat(count("SELECT count(*) FROM crm_contact_updates")).isZero();
        assertThat(count("SELECT count(*) FROM session_sequences")).isZero();
        assertThat(count("SELECT count(*) FROM sink_offsets")).isZero();
    }

    @Test
    void shouldStoreOnceAndRefuseAsADuplicateWhenAScopedKeyRepeatsInOneBatch() throws Exception {
        Inbound.Mutation original = record(0, "s1", 1);
        Inbound.Mutation again = redelivery(original, 1, 2);

        BatchWriter.Outcome outcome = writer.write(List.of(original, again), Map.of(), () -> false);

        assertThat(outcome.written()).isEqualTo(1);
        assertThat(outcome.refusals())
                .singleElement()
                .satisfies(r -> assertThat(r.reason()).isEqualTo(BatchWriter.DUPLICATE_KEY))
                .satisfies(r -> assertThat(r.applied()).isEqualTo(new BatchWriter.AppliedRow(1, "sha256:x")));
        assertThat(count("SELECT count(*) FROM crm_contact_updates")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM idempotency_store")).isEqualTo(1);
        assertThat(count("SELECT sequence FROM crm_contact_updates")).isEqualTo(1);
        assertThat(rows("SELECT kafka_offset, sequence, reason, applied_sequence, request_id FROM sink_refusals"))
                .containsExactly(List.of(1L, 2L, "duplicate_key", 1L, "other-request"));
    }

    @Test
    void shouldRefuseAKeyAsADuplicateAndStillHoldTheFenceWhenItIsRedeliveredAfterTheWindow() throws Exception {
        Inbound.Mutation original = record(0, "s1", 1);
        writer.write(List.of(original, record(1, "s1", 2)), Map.of(), () -> false);

        // past the dedup window the topology forwards the same key again, with the next sequence
        BatchWriter.Outcome redelivered =
                writer.write(List.of(redelivery(original, 2, 3)), Map.of(TP, 2L), () -> false);

        assertThat(redelivered.written()).isZero();
        assertThat(redelivered.refusals())
                .singleElement()
                .satisfies(r -> assertThat(r.reason()).isEqualTo("duplicate_key"))
                .satisfies(r -> assertThat(r.record().value().sequence()).isEqualTo(3))
                .satisfies(r -> assertThat(r.applied().sequence()).isEqualTo(1));
        assertThat(rows("SELECT sequence, stored_sequence, reason, applied_sequence, applied_payload_hash,"
                        + " audited_at IS NULL FROM sink_refusals"))
                .containsExactly(List.of(3L, 2L, "duplicate_key", 1L, "sha256:x", true));
        assertThat(rows("SELECT scoped_key, sequence, request_id FROM crm_contact_updates ORDER BY sequence"))
                .containsExactly(List.of("scoped|s1-1", 1L, "r-s1-1"), List.of("scoped|s1-2", 2L, "r-s1-2"));
        // sequence 3 was spent by the session's writer: the mark moves past it, nothing is applied
        assertThat(count("SELECT last_sequence FROM session_sequences WHERE session_id = 's1'"))
                .isEqualTo(3);
        assertThat(count("SELECT next_offset FROM sink_offsets")).isEqualTo(3);

        // the fence still refuses a stale writer re-using sequence 3, and lets the next one through
        BatchWriter.Outcome later =
                writer.write(List.of(record(3, "s1", 3), record(4, "s1", 4)), Map.of(TP, 3L), () -> false);

        assertThat(later.written()).isEqualTo(1);
        assertThat(later.refusals())
                .singleElement()
                .satisfies(r -> assertThat(r.reason()).isEqualTo("sequence_not_greater"))
                .satisfies(r -> assertThat(r.record().offset()).isEqualTo(3));
        assertThat(rows("SELECT sequence FROM crm_contact_updates ORDER BY sequence"))
                .containsExactly(List.of(1L), List.of(2L), List.of(4L));
        assertThat(count("SELECT last_sequence FROM session_sequences WHERE session_id = 's1'"))
                .isEqualTo(4);
    }

    @Test
    void shouldRefuseAStaleRedeliveryByTheFenceFirst() throws Exception {
        Inbound.Mutation original = record(0, "s1", 1);
        writer.write(List.of(original, record(1, "s1", 2)), Map.of(), () -> false);

        BatchWriter.Outcome outcome = writer.write(List.of(redelivery(original, 2, 2)), Map.of(TP, 2L), () -> false);

        assertThat(outcome.refusals())
                .singleElement()
                .satisfies(r -> assertThat(r.reason()).isEqualTo("sequence_not_greater"))
                .satisfies(r -> assertThat(r.applied()).isNull());
    }

    @Test
    void shouldSerializeTheFirstWriteToAPartition() throws Exception {
        PGSimpleDataSource dsA = dataSource("wa-" + UUID.randomUUID());
        PGSimpleDataSource dsB = dataSource("wb-" + UUID.randomUUID());
        BatchWriter a = new BatchWriter(dsA, "g", Duration.ofDays(7));
        BatchWriter b = new BatchWriter(dsB, "g", Duration.ofDays(7));
        CountDownLatch aHoldsItsTransaction = new CountDownLatch(1);
        CountDownLatch releaseA = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            // two instances during a rebalance: both believe nothing is stored for the partition
            Future<BatchWriter.Outcome> first =
                    pool.submit(() -> a.write(List.of(record(0, "sa", 1), record(1, "sa", 2)), Map.of(), () -> {
                        aHoldsItsTransaction.countDown();
                        awaitUninterruptibly(releaseA);
                        return false;
                    }));
            assertThat(aHoldsItsTransaction.await(30, TimeUnit.SECONDS)).isTrue();
            Future<BatchWriter.Outcome> second =
                    pool.submit(() -> b.write(List.of(record(0, "sb", 1)), Map.of(), () -> false));
            // the second writer must be waiting for the first one's lock before the first commits
            await().atMost(Duration.ofSeconds(30)).until(() -> waitsForALock(dsB.getApplicationName()));
            releaseA.countDown();

            assertThat(first.get(30, TimeUnit.SECONDS).nextOffsets()).containsExactly(Map.entry(TP, 2L));
            assertThatThrownBy(() -> second.get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(BatchWriter.StaleOffsetsException.class)
                    .hasMessageContaining("is 2");
        } finally {
            releaseA.countDown();
            pool.shutdownNow();
        }
        assertThat(count("SELECT next_offset FROM sink_offsets")).isEqualTo(2);
        assertThat(rows("SELECT session_id, sequence FROM crm_contact_updates ORDER BY session_id, sequence"))
                .containsExactly(List.of("sa", 1L), List.of("sa", 2L));
    }

    private PGSimpleDataSource dataSource(String applicationName) {
        PGSimpleDataSource other = new PGSimpleDataSource();
        other.setUrl(ds.getUrl());
        other.setUser(ds.getUser());
        other.setPassword(ds.getPassword());
        other.setApplicationName(applicationName);
        return other;
    }

    private boolean waitsForALock(String applicationName) throws Exception {
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = ? AND wait_event_type = 'Lock'")) {
            ps.setString(1, applicationName);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getLong(1) == 1;
            }
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            if (!latch.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The same scoped key and payload as {@code original}, delivered again under a new sequence. */
    private static Inbound.Mutation redelivery(Inbound.Mutation original, long offset, long sequence) {
        SequencedMutation v = original.value();
        SequencedMutation again = new SequencedMutation(
                "other-request",
                v.tenant(),
                v.route(),
                v.sessionId(),
                v.idempotencyKey(),
                v.scopedKey(),
                v.payloadHash(),
                sequence,
                null,
                v.receivedAt(),
                v.appliedAt(),
                v.body());
        return new Inbound.Mutation(TOPIC, 0, offset, null, new byte[0], again);
    }

    private static Inbound.Mutation record(long offset, String session, long sequence) {
        return record(offset, session, 0, sequence);
    }

    private static Inbound.Mutation record(long offset, String session, long epoch, long sequence) {
        String key = session + "-" + (epoch == 0 ? "" : epoch + "-") + sequence;
        ObjectNode body = Json.mapper().createObjectNode().put("contact_id", "c-" + session);
        body.putObject("payload").put("n", sequence);
        Instant at = Instant.parse("2025-05-15T14:32:00Z");
        SequencedMutation m = new SequencedMutation(
                "r-" + key, "t", "crm", session, key, "scoped|" + key, "sha256:x", epoch, sequence, null, at, at, body);
        return new Inbound.Mutation(TOPIC, 0, offset, null, new byte[0], m);
    }

    private List<List<Object>> rows(String sql) throws Exception {
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            List<List<Object>> rows = new ArrayList<>();
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= columns; i++) {
                    row.add(rs.getObject(i));
                }
                rows.add(row);
            }
            return rows;
        }
    }

    private long count(String sql) throws Exception {
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            long total = 0;
            while (rs.next()) {
                total += rs.getLong(1);
            }
            return total;
        }
    }
}
