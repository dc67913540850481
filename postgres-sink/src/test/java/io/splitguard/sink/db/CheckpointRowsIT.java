package io.splitguard.sink.db;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.model.StoredCheckpoint;
import io.splitguard.sink.consumer.Inbound;
import io.splitguard.testsupport.SharedInfra;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.ds.PGSimpleDataSource;

/** {@code session_checkpoints} as the batch writer keeps it: the sequence fence, expiry, purges, refusals. */
@ExtendWith(SharedInfra.class)
class CheckpointRowsIT {

    private static final String CHECKPOINTS = "w.checkpoints";
    private static final String MUTATIONS = "w.mutations";
    private static final TopicPartition TP = new TopicPartition(CHECKPOINTS, 0);
    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");

    private PGSimpleDataSource ds;
    private BatchWriter writer;

    @BeforeEach
    void setUp() {
        ds = new PGSimpleDataSource();
        ds.setUrl(SharedInfra.postgres().createDatabase(SharedInfra.uniqueName("checkpoints")));
        ds.setUser(SharedInfra.postgres().user());
        ds.setPassword(SharedInfra.postgres().password());
        SinkMigrations.apply(ds);
        writer = new BatchWriter(ds, "g", Duration.ofDays(7));
    }

    @Test
    void shouldKeepOnlyTheHighestSequenceAndRefuseOlderOrEqualOnesWhenCheckpointsArriveOutOfOrder() throws Exception {
        BatchWriter.Outcome first = writer.write(
                List.of(checkpoint(0, "s1", 10, T0, 3600), checkpoint(1, "s1", 12, T0.plusSeconds(1), 3600)),
                Map.of(),
                () -> false);
        BatchWriter.Outcome second = writer.write(
                List.of(
                        checkpoint(2, "s1", 11, T0.plusSeconds(2), 3600),
                        checkpoint(3, "s1", 12, T0.plusSeconds(3), 3600)),
                Map.of(TP, 2L),
                () -> false);

        assertThat(first.checkpoints().written()).isEqualTo(2);
        assertThat(second.checkpoints().written()).isZero();
        assertThat(second.checkpoints().refusals())
                .extracting(r -> r.record().offset() + "/" + r.record().value().sequence() + "<="
                        + r.stored().sequence())
                .containsExactly("2/11<=12", "3/12<=12");
        assertThat(rows("SELECT session_id, checkpoint_id, sequence, variables->>'step', source_offset"
                        + " FROM session_checkpoints"))
                .containsExactly(List.of("s1", "chk_12", 12L, "step-12", 1L));
        assertThat(rows("SELECT kafka_offset, scoped_key, sequence, stored_sequence, reason FROM sink_refusals"
                        + " ORDER BY kafka_offset"))
                .containsExactly(
                        List.of(2L, "checkpoint:chk_11", 11L, 12L, "checkpoint_not_newer"),
                        List.of(3L, "checkpoint:chk_12", 12L, 12L, "checkpoint_not_newer"));
        assertThat(rows("SELECT next_offset FROM sink_offsets")).containsExactly(List.of(4L));
    }

    @Test
    void shouldSkipTheRecordTheRowAlreadyHoldsWithoutRefusingItWhenItIsReadAgain() throws Exception {
        Inbound.Checkpoint once = checkpoint(0, "s1", 5, T0, 60);
        writer.write(List.of(once), Map.of(), () -> false);

        Inbound.Checkpoint again = new Inbound.Checkpoint(CHECKPOINTS, 0, 1, null, new byte[0], once.value());
        BatchWriter.Outcome outcome = writer.write(List.of(again), Map.of(TP, 1L), () -> false);

        assertThat(outcome.checkpoints().written()).isZero();
        assertThat(outcome.checkpoints().refusals()).isEmpty();
        assertThat(count("SELECT count(*) FROM sink_refusals")).isZero();
    }

    @Test
    void shouldAcceptALowerSequenceWhenTheStoredCheckpointHadExpiredOrWasPurged() throws Exception {
        // s1's checkpoint lives 60 s; the next one was accepted 61 s later, on the topology's clock
        writer.write(
                List.of(
                        checkpoint(0, "s1", 50, T0, 60),
                        checkpoint(1, "s1", 3, T0.plusSeconds(61), 600),
                        checkpoint(2, "s2", 50, T0, 600),
                        purge(3, "s2"),
                        purge(4, "never-had-one")),
                Map.of(),
                () -> false);
        BatchWriter.Outcome after =
                writer.write(List.of(checkpoint(5, "s2", 1, T0.plusSeconds(5), 600)), Map.of(TP, 5L), () -> false);

        assertThat(after.checkpoints().written()).isEqualTo(1);
        assertThat(rows("SELECT session_id, sequence FROM session_checkpoints ORDER BY session_id"))
                .containsExactly(List.of("s1", 3L), List.of("s2", 1L));
        assertThat(count("SELECT count(*) FROM sink_refusals")).isZero();
    }

    @Test
    void shouldDeleteTheRowWhenThePurgeComesInALaterBatch() throws Exception {
        writer.write(List.of(checkpoint(0, "s1", 7, T0, 600), checkpoint(1, "s2", 7, T0, 600)), Map.of(), () -> false);

        BatchWriter.Outcome outcome = writer.write(List.of(purge(2, "s1")), Map.of(TP, 2L), () -> false);

        assertThat(outcome.checkpoints().purged()).isEqualTo(1);
        assertThat(rows("SELECT session_id FROM session_checkpoints")).containsExactly(List.of("s2"));
    }

    @Test
    void shouldWriteMutationsAndCheckpointsWithBothOffsetsWhenOneBatchHoldsBothTopics() throws Exception {
        Instant at = Instant.parse("2026-12-03T10:00:00Z");
        ObjectNode body = Json.mapper().createObjectNode().put("contact_id", "c-1");
        body.putObject("payload").put("n", 1);
        SequencedMutation m = new SequencedMutation(
                "r-1", "t", "crm", "s1", "k-1", "scoped|k-1", "sha256:x", 0L, 1L, null, at, at, body);

        BatchWriter.Outcome outcome = writer.write(
                List.of(new Inbound.Mutation(MUTATIONS, 3, 40, null, new byte[0], m), checkpoint(9, "s1", 1, T0, 600)),
                Map.of(),
                () -> false);

        assertThat(outcome.written()).isEqualTo(1);
        assertThat(outcome.checkpoints().written()).isEqualTo(1);
        assertThat(rows("SELECT topic, partition, next_offset FROM sink_offsets ORDER BY topic"))
                .containsExactly(List.of(CHECKPOINTS, 0, 10L), List.of(MUTATIONS, 3, 41L));
    }

    @Test
    void shouldPruneOnlyCheckpointsPastTheirExpiryWhenThePruneJobRuns() throws Exception {
        writer.write(
                List.of(checkpoint(0, "old", 1, T0, 60), checkpoint(1, "live", 1, T0, 3600)), Map.of(), () -> false);

        long deleted = new Pruner(ds, 1).pruneExpiredCheckpoints(T0.plusSeconds(60));

        assertThat(deleted).isEqualTo(1);
        assertThat(rows("SELECT session_id FROM session_checkpoints")).containsExactly(List.of("live"));
    }

    private static Inbound.Checkpoint checkpoint(
            long offset, String session, long sequence, Instant storedAt, int ttl) {
        ObjectNode variables = Json.mapper().createObjectNode().put("step", "step-" + sequence);
        StoredCheckpoint value = new StoredCheckpoint(
                session,
                "us-east",
                "chk_" + sequence,
                sequence,
                1,
                "v1",
                variables,
                ttl,
                "req-" + session + "-" + sequence,
                storedAt,
                storedAt,
                storedAt.plusSeconds(ttl),
                0,
                offset);
        return new Inbound.Checkpoint(CHECKPOINTS, 0, offset, null, new byte[0], value);
    }

    private static Inbound.CheckpointPurge purge(long offset, String session) {
        return new Inbound.CheckpointPurge(CHECKPOINTS, 0, offset, null, session);
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
        List<List<Object>> rows = rows(sql);
        return ((Number) rows.get(0).get(0)).longValue();
    }
}
