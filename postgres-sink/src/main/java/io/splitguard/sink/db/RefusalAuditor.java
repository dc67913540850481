package io.splitguard.sink.db;

import io.splitguard.schemas.model.AuditRecord;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Publishes the sink's refusals to the audit topic, using {@code sink_refusals} as an outbox.
 *
 * <p>The writer records a refusal in the same database transaction as the batch; this class later
 * picks the rows whose {@code audited_at} is still null, sends one {@link AuditRecord} per row
 * (decision {@code refused}, key = session id) through an idempotent producer, waits for the
 * broker's acknowledgements and only then sets {@code audited_at}. A crash or a broker outage
 * between the send and that update leaves the rows unaudited, and a later sweep sends them again:
 * delivery to the audit topic is at least once, never lost, possibly repeated. The rows are taken
 * with {@code FOR UPDATE SKIP LOCKED}, so several sink instances never publish the same row at the
 * same time.
 */
public final class RefusalAuditor {

    /** Rows published per database transaction. */
    public static final int BATCH = 200;

    private final DataSource dataSource;
    private final String topic;
    private final Producer<String, AuditRecord> producer;
    private final Duration sendTimeout;

    public RefusalAuditor(
            DataSource dataSource, String topic, Producer<String, AuditRecord> producer, Duration sendTimeout) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.producer = Objects.requireNonNull(producer, "producer");
        this.sendTimeout = Objects.requireNonNull(sendTimeout, "sendTimeout");
    }

    /** Thrown when the broker did not acknowledge an audit record; the rows stay unaudited. */
    public static final class PublishException extends Exception {
        private static final long serialVersionUID = 1L;

        public PublishException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Publishes every refusal not audited yet (in batches of {@link #BATCH}); returns how many. */
    public int publishPending() throws SQLException, PublishException, InterruptedException {
        int total = 0;
        int published;
        do {
            published = publishBatch();
            total += published;
        } while (published == BATCH);
        return total;
    }

    private int publishBatch() throws SQLException, PublishException, InterruptedException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                List<Long> ids = new ArrayList<>();
                List<AuditRecord> records = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT id, topic, partition, kafka_offset, session_id,"
                        + " scoped_key, sequence, stored_sequence, fencing_token, stored_fencing_token, reason,"
                        + " request_id, payload_hash, applied_sequence, applied_payload_hash, refused_at, session_epoch,"
                        + " stored_session_epoch"
                        + " FROM sink_refusals WHERE audited_at IS NULL ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED")) {
                    ps.setInt(1, BATCH);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getLong("id"));
                            records.add(toAudit(rs));
                        }
                    }
                }
                if (ids.isEmpty()) {
                    c.rollback();
                    return 0;
                }
                send(records);
                try (PreparedStatement ps =
                        c.prepareStatement("UPDATE sink_refusals SET audited_at = now() WHERE id = ANY(?::bigint[])")) {
                    Array array = c.createArrayOf("int8", ids.toArray(Long[]::new));
                    ps.setArray(1, array);
                    ps.executeUpdate();
                }
                c.commit();
                return ids.size();
            } catch (SQLException | PublishException | InterruptedException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
                throw e;
            }
        }
    }

    private void send(List<AuditRecord> records) throws PublishException, InterruptedException {
        List<Future<RecordMetadata>> acks = new ArrayList<>(records.size());
        for (AuditRecord r : records) {
            acks.add(producer.send(new ProducerRecord<>(topic, r.sessionId(), r)));
        }
        producer.flush();
        long deadline = System.nanoTime() + sendTimeout.toNanos();
        for (Future<RecordMetadata> ack : acks) {
            try {
                ack.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                throw new PublishException("audit record not acknowledged: " + e.getCause(), e.getCause());
            } catch (TimeoutException e) {
                throw new PublishException("audit record not acknowledged within " + sendTimeout, e);
            }
        }
    }

    /** The audit record of one {@code sink_refusals} row. */
    static AuditRecord toAudit(ResultSet rs) throws SQLException {
        String reason = rs.getString("reason");
        String source =
                " [" + rs.getString("topic") + "-" + rs.getInt("partition") + "@" + rs.getLong("kafka_offset") + "]";
        String detail;
        if (BatchWriter.DUPLICATE_KEY.equals(reason)) {
            String payload = rs.getString("payload_hash");
            String appliedPayload = rs.getString("applied_payload_hash");
            String comparison = payload == null || appliedPayload == null
                    ? "payload not compared"
                    : payload.equals(appliedPayload) ? "same payload" : "different payload";
            detail = reason + ": scoped key already applied with sequence " + nullable(rs, "applied_sequence") + " ("
                    + comparison + "), not written again" + source;
        } else if (CheckpointRows.NOT_NEWER.equals(reason)) {
            detail = reason + ": checkpoint sequence " + rs.getLong("sequence") + " is not newer than the stored live"
                    + " checkpoint's " + rs.getLong("stored_sequence") + ", not written" + source;
        } else if ("stale_fencing_token".equals(reason)) {
            detail = reason + ": fencing token " + nullable(rs, "fencing_token") + " older than the stored "
                    + nullable(rs, "stored_fencing_token") + source;
        } else {
            detail = reason + ": stored epoch " + nullable(rs, "stored_session_epoch") + " sequence "
                    + rs.getLong("stored_sequence") + ", this record epoch " + nullable(rs, "session_epoch") + source;
        }
        Instant at = rs.getObject("refused_at", OffsetDateTime.class).toInstant();
        return new AuditRecord(
                AuditRecord.Decision.REFUSED,
                rs.getString("session_id"),
                rs.getString("request_id"),
                rs.getString("scoped_key"),
                rs.getString("payload_hash"),
                rs.getLong("sequence"),
                at,
                detail);
    }

    private static String nullable(ResultSet rs, String column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? "unknown" : Long.toString(value);
    }
}
