package io.splitguard.sink.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.sink.consumer.Inbound;
import io.splitguard.testsupport.SharedInfra;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
    void refusesToWriteWhenAnotherWriterHasMovedTheStoredOffset() throws Exception {
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
    void anAbortedBatchLeavesNoTrace() throws Exception {
        assertThatThrownBy(() -> writer.write(List.of(record(0, "s1", 1), record(1, "s2", 1)), Map.of(), () -> true))
                .isInstanceOf(BatchWriter.AbortedException.class);

        assertThat(count("SELECT count(*) FROM crm_contact_updates")).isZero();
        assertThat(count("SELECT count(*) FROM session_sequences")).isZero();
        assertThat(count("SELECT count(*) FROM sink_offsets")).isZero();
    }

    @Test
    void aRepeatedScopedKeyIsStoredOnce() throws Exception {
        Inbound.Mutation original = record(0, "s1", 1);
        SequencedMutation v = original.value();
        SequencedMutation again = new SequencedMutation(
                "other-request",
                v.tenant(),
                v.route(),
                v.sessionId(),
                v.idempotencyKey(),
                v.scopedKey(),
                v.payloadHash(),
                2,
                null,
                v.receivedAt(),
                v.appliedAt(),
                v.body());

        writer.write(
                List.of(original, new Inbound.Mutation(TOPIC, 0, 1, null, new byte[0], again)), Map.of(), () -> false);

        assertThat(count("SELECT count(*) FROM crm_contact_updates")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM idempotency_store")).isEqualTo(1);
        assertThat(count("SELECT sequence FROM crm_contact_updates")).isEqualTo(1);
    }

    private static Inbound.Mutation record(long offset, String session, long sequence) {
        ObjectNode body = Json.mapper().createObjectNode().put("contact_id", "c-" + session);
        body.putObject("payload").put("n", sequence);
        Instant at = Instant.parse("2025-05-15T14:32:00Z");
        SequencedMutation m = new SequencedMutation(
                "r-" + session + "-" + sequence,
                "t",
                "crm",
                session,
                session + "-" + sequence,
                "scoped|" + session + "-" + sequence,
                "sha256:x",
                sequence,
                null,
                at,
                at,
                body);
        return new Inbound.Mutation(TOPIC, 0, offset, null, new byte[0], m);
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
