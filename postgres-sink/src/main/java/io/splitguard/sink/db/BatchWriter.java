package io.splitguard.sink.db;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.sink.consumer.Inbound;
import io.splitguard.sink.consumer.SessionFence;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.apache.kafka.common.TopicPartition;

/**
 * Writes one poll's records and the partitions' next offsets in a single database transaction.
 *
 * <p>Order inside the transaction: make sure every partition of the batch has a {@code sink_offsets}
 * row (a placeholder with a null offset when none was stored yet, so that even the first write to a
 * partition has a row to lock), lock those rows and check they still hold what this consumer last
 * committed (else another instance has written since, and this one must re-read); make sure every
 * session of the batch has a {@code session_sequences} row and lock those rows; read which of the
 * batch's scoped keys already have a row in {@code crm_contact_updates}; decide, record by record,
 * what the fence lets through and which keys were already applied; then write the session marks, the
 * contact updates, the idempotency rows, the refusals, the session checkpoints ({@link CheckpointRows}),
 * the dead letters and the offsets, each as one batched statement; commit.
 *
 * <p>A scoped key that already has a row (a redelivery that reached the topology after its dedup
 * window and so got a new sequence) is refused as {@link #DUPLICATE_KEY}, not dropped silently. The
 * check cannot race: a scoped key contains its session id, and every writer of a session holds that
 * session's locked row until it commits. The refused record still spends its sequence (the session's
 * mark moves to it), because the session's one writer issued it: a stale writer re-using that
 * sequence stays refused, and the writer's next sequence passes.
 *
 * <p>Update counts are never read: with {@code reWriteBatchedInserts} they are -2 per row.
 */
public final class BatchWriter {

    /** Marks a partition with no stored offset yet. */
    public static final long NO_OFFSET = -1;

    /** The status stored for an applied key; the cached answer itself says {@code accepted}. */
    public static final String STATUS_APPLIED = "applied";

    /** {@code sink_refusals.reason} of a mutation whose scoped key already has a stored row. */
    public static final String DUPLICATE_KEY = "duplicate_key";

    private static final int MAX_TEXT = 4_000;

    private final DataSource dataSource;
    private final String groupId;
    private final Duration retention;

    public BatchWriter(DataSource dataSource, String groupId, Duration retention) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.groupId = Objects.requireNonNull(groupId, "groupId");
        this.retention = Objects.requireNonNull(retention, "retention");
    }

    /** The row already stored under a scoped key. */
    public record AppliedRow(long sequence, String payloadHash) {}

    /**
     * A record the sink refused to write.
     *
     * @param reason the {@code sink_refusals.reason} code: a {@link SessionFence.Reason} code or {@link #DUPLICATE_KEY}
     * @param stored the session's mark the record was judged against
     * @param applied for {@link #DUPLICATE_KEY}, the row already stored under the key; otherwise null
     */
    public record Refusal(Inbound.Mutation record, String reason, SessionFence.Mark stored, AppliedRow applied) {
        public Refusal {
            Objects.requireNonNull(record, "record");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(stored, "stored");
        }

        public boolean isDuplicate() {
            return DUPLICATE_KEY.equals(reason);
        }
    }

    /**
     * What a committed batch did.
     *
     * @param written mutations written
     * @param checkpoints what the batch's checkpoint records did to {@code session_checkpoints}
     */
    public record Outcome(
            int written,
            List<Refusal> refusals,
            List<Inbound.Poison> deadLetters,
            Map<TopicPartition, Long> nextOffsets,
            CheckpointRows.Result checkpoints) {}

    /** The stored offset of a partition is not the one this consumer expected: re-read from the stored one. */
    public static final class StaleOffsetsException extends Exception {
        private static final long serialVersionUID = 1L;

        public StaleOffsetsException(String message) {
            super(message);
        }
    }

    /** The batch was rolled back because the caller asked to stop before the commit. */
    public static final class AbortedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public AbortedException() {
            super("batch rolled back: sink halted");
        }
    }

    /**
     * Writes {@code batch} (records in poll order) in one transaction.
     *
     * @param expected per partition, the next offset this consumer believes is stored ({@link #NO_OFFSET} or
     *     absent when none)
     * @param abortBeforeCommit checked just before the commit; when true the transaction is rolled back
     */
    public Outcome write(List<Inbound> batch, Map<TopicPartition, Long> expected, BooleanSupplier abortBeforeCommit)
            throws SQLException, StaleOffsetsException {
        Map<TopicPartition, Long> nextOffsets = new LinkedHashMap<>();
        List<Inbound.Mutation> mutations = new ArrayList<>();
        List<Inbound.Poison> poisons = new ArrayList<>();
        List<Inbound> checkpoints = new ArrayList<>();
        for (Inbound in : batch) {
            nextOffsets.merge(in.topicPartition(), in.offset() + 1, Math::max);
            if (in instanceof Inbound.Mutation m) {
                mutations.add(m);
            } else if (in instanceof Inbound.Poison p) {
                poisons.add(p);
            } else {
                checkpoints.add(in);
            }
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                checkOffsets(c, nextOffsets, expected);
                SessionFence fence = new SessionFence(lockSessions(c, mutations));
                Map<String, AppliedRow> applied = appliedRows(c, mutations);
                List<Inbound.Mutation> accepted = new ArrayList<>();
                List<Refusal> refusals = new ArrayList<>();
                for (Inbound.Mutation m : mutations) {
                    SequencedMutation v = m.value();
                    SessionFence.Decision d =
                            fence.offer(v.sessionId(), v.sessionEpoch(), v.sequence(), v.fencingToken());
                    if (!d.accepted()) {
                        refusals.add(new Refusal(m, d.reason().code(), d.stored(), null));
                        continue;
                    }
                    AppliedRow earlier =
                            applied.putIfAbsent(v.scopedKey(), new AppliedRow(v.sequence(), v.payloadHash()));
                    if (earlier != null) {
                        refusals.add(new Refusal(m, DUPLICATE_KEY, d.stored(), earlier));
                    } else {
                        accepted.add(m);
                    }
                }
                upsertSessionMarks(c, fence.advanced());
                insertContactUpdates(c, accepted);
                insertIdempotencyRows(c, accepted);
                insertRefusals(c, refusals);
                CheckpointRows.Result checkpointResult = CheckpointRows.write(c, checkpoints);
                insertDeadLetters(c, poisons);
                upsertOffsets(c, nextOffsets);
                if (abortBeforeCommit.getAsBoolean()) {
                    c.rollback();
                    throw new AbortedException();
                }
                c.commit();
                return new Outcome(
                        accepted.size(), List.copyOf(refusals), List.copyOf(poisons), nextOffsets, checkpointResult);
            } catch (SQLException | StaleOffsetsException | RuntimeException e) {
                rollbackQuietly(c, e);
                throw e;
            }
        }
    }

    /**
     * Locks the batch's partitions in {@code sink_offsets} and compares them with {@code expected}. A
     * partition with no row yet first gets a placeholder (null offset) so there is a row to lock: two
     * instances writing a partition for the first time then queue on that row, and the second one
     * sees the first one's committed offset instead of "none".
     */
    private void checkOffsets(Connection c, Map<TopicPartition, Long> partitions, Map<TopicPartition, Long> expected)
            throws SQLException, StaleOffsetsException {
        String[] topics =
                partitions.keySet().stream().map(TopicPartition::topic).toArray(String[]::new);
        Integer[] numbers =
                partitions.keySet().stream().map(TopicPartition::partition).toArray(Integer[]::new);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO sink_offsets (consumer_group, topic, partition,"
                + " next_offset) SELECT ?, t, p, NULL FROM unnest(?::text[], ?::int[]) AS u(t, p) ORDER BY t, p"
                + " ON CONFLICT (consumer_group, topic, partition) DO NOTHING")) {
            ps.setString(1, groupId);
            ps.setArray(2, c.createArrayOf("text", topics));
            ps.setArray(3, c.createArrayOf("int4", numbers));
            ps.executeUpdate();
        }
        Map<TopicPartition, Long> stored = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT topic, partition, next_offset FROM sink_offsets"
                + " WHERE consumer_group = ? AND (topic, partition) IN (SELECT * FROM unnest(?::text[], ?::int[]))"
                + " ORDER BY topic, partition FOR UPDATE")) {
            ps.setString(1, groupId);
            ps.setArray(2, c.createArrayOf("text", topics));
            ps.setArray(3, c.createArrayOf("int4", numbers));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long next = rs.getLong(3);
                    if (!rs.wasNull()) {
                        stored.put(new TopicPartition(rs.getString(1), rs.getInt(2)), next);
                    }
                }
            }
        }
        for (TopicPartition tp : partitions.keySet()) {
            long have = stored.getOrDefault(tp, NO_OFFSET);
            long want = expected.getOrDefault(tp, NO_OFFSET);
            if (have != want) {
                throw new StaleOffsetsException("stored next offset of " + tp + " is " + describe(have)
                        + " but this consumer read from " + describe(want));
            }
        }
    }

    private static String describe(long offset) {
        return offset == NO_OFFSET ? "none" : Long.toString(offset);
    }

    /**
     * Ensures a row per session (mark 0 when new), locks them in a stable order, returns their marks.
     * A row the prune job deleted between the insert and the lock is simply absent: that session has
     * no mark (nothing else writes it, its partition's offset row is locked by this writer).
     */
    private static Map<String, SessionFence.Mark> lockSessions(Connection c, List<Inbound.Mutation> mutations)
            throws SQLException {
        Map<String, SessionFence.Mark> marks = new HashMap<>();
        if (mutations.isEmpty()) {
            return marks;
        }
        TreeSet<String> sessions = new TreeSet<>();
        mutations.forEach(m -> sessions.add(m.value().sessionId()));
        java.sql.Array ids = c.createArrayOf("text", sessions.toArray(String[]::new));
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO session_sequences (session_id, last_sequence)"
                + " SELECT s, 0 FROM unnest(?::text[]) AS s ORDER BY s ON CONFLICT (session_id) DO NOTHING")) {
            ps.setArray(1, ids);
            ps.executeUpdate();
        }
        try (PreparedStatement ps =
                c.prepareStatement("SELECT session_id, session_epoch, last_sequence, last_fencing_token"
                        + " FROM session_sequences"
                        + " WHERE session_id = ANY(?::text[]) ORDER BY session_id FOR UPDATE")) {
            ps.setArray(1, ids);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long token = rs.getLong(4);
                    Long fencingToken = rs.wasNull() ? null : token;
                    marks.put(rs.getString(1), new SessionFence.Mark(rs.getLong(2), rs.getLong(3), fencingToken));
                }
            }
        }
        return marks;
    }

    /** The rows already stored under the batch's scoped keys (read under the batch's session locks). */
    private static Map<String, AppliedRow> appliedRows(Connection c, List<Inbound.Mutation> mutations)
            throws SQLException {
        Map<String, AppliedRow> found = new HashMap<>();
        if (mutations.isEmpty()) {
            return found;
        }
        String[] keys =
                mutations.stream().map(m -> m.value().scopedKey()).distinct().toArray(String[]::new);
        try (PreparedStatement ps = c.prepareStatement("SELECT scoped_key, sequence, payload_hash"
                + " FROM crm_contact_updates WHERE scoped_key = ANY(?::text[])")) {
            ps.setArray(1, c.createArrayOf("text", keys));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.put(rs.getString(1), new AppliedRow(rs.getLong(2), rs.getString(3)));
                }
            }
        }
        return found;
    }

    private static void upsertSessionMarks(Connection c, Map<String, SessionFence.Mark> advanced) throws SQLException {
        if (advanced.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO session_sequences"
                + " (session_id, session_epoch, last_sequence, last_fencing_token, updated_at)"
                + " VALUES (?, ?, ?, ?, now())"
                + " ON CONFLICT (session_id) DO UPDATE SET session_epoch = EXCLUDED.session_epoch,"
                + " last_sequence = EXCLUDED.last_sequence,"
                + " last_fencing_token = EXCLUDED.last_fencing_token, updated_at = EXCLUDED.updated_at"
                + " WHERE (session_sequences.session_epoch, session_sequences.last_sequence)"
                + " < (EXCLUDED.session_epoch, EXCLUDED.last_sequence)")) {
            for (Map.Entry<String, SessionFence.Mark> e : advanced.entrySet()) {
                ps.setString(1, e.getKey());
                ps.setLong(2, e.getValue().epoch());
                ps.setLong(3, e.getValue().sequence());
                ps.setObject(4, e.getValue().fencingToken(), Types.BIGINT);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void insertContactUpdates(Connection c, List<Inbound.Mutation> accepted) throws SQLException {
        if (accepted.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO crm_contact_updates (scoped_key, idempotency_key,"
                + " request_id, tenant, route, session_id, contact_id, operation, payload, payload_hash, sequence,"
                + " fencing_token, received_at, applied_at, session_epoch)"
                // no ON CONFLICT: keys already stored were refused above, so a conflict here is a bug
                // that must fail the batch, never a row dropped in silence
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?)")) {
            for (Inbound.Mutation m : accepted) {
                SequencedMutation v = m.value();
                JsonNode body = v.body();
                JsonNode payload = body.has("payload") ? body.get("payload") : body;
                ps.setString(1, v.scopedKey());
                ps.setString(2, v.idempotencyKey());
                ps.setString(3, v.requestId());
                ps.setString(4, v.tenant());
                ps.setString(5, v.route());
                ps.setString(6, v.sessionId());
                ps.setString(7, textOrNull(body.get("contact_id")));
                ps.setString(8, textOrNull(body.get("operation")));
                ps.setString(9, payload.toString());
                ps.setString(10, v.payloadHash());
                ps.setLong(11, v.sequence());
                ps.setObject(12, v.fencingToken(), Types.BIGINT);
                ps.setObject(13, utc(v.receivedAt()));
                ps.setObject(14, utc(v.appliedAt()));
                ps.setLong(15, v.sessionEpoch());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private void insertIdempotencyRows(Connection c, List<Inbound.Mutation> accepted) throws SQLException {
        if (accepted.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO idempotency_store (scoped_key, idempotency_key,"
                + " tenant, route, session_id, payload_hash, status, response, sequence, created_at, expires_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?)"
                + " ON CONFLICT (scoped_key) DO NOTHING")) {
            for (Inbound.Mutation m : accepted) {
                SequencedMutation v = m.value();
                ps.setString(1, v.scopedKey());
                ps.setString(2, v.idempotencyKey());
                ps.setString(3, v.tenant());
                ps.setString(4, v.route());
                ps.setString(5, v.sessionId());
                ps.setString(6, v.payloadHash());
                ps.setString(7, STATUS_APPLIED);
                ps.setString(8, cachedResponse(v).toString());
                ps.setLong(9, v.sequence());
                ps.setObject(10, utc(v.receivedAt()));
                ps.setObject(11, utc(v.receivedAt().plus(retention)));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** The answer the gateway gave the first delivery, as a replay would repeat it. */
    static ObjectNode cachedResponse(SequencedMutation v) {
        ObjectNode response = Json.mapper().createObjectNode();
        response.put("idempotency_key", v.idempotencyKey());
        response.put("session_id", v.sessionId());
        response.put("payload_hash", v.payloadHash());
        response.put("status", "accepted");
        response.put("received_at", v.receivedAt().toString());
        return response;
    }

    private static void insertRefusals(Connection c, List<Refusal> refusals) throws SQLException {
        if (refusals.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO sink_refusals (topic, partition, kafka_offset,"
                + " session_id, scoped_key, sequence, stored_sequence, fencing_token, stored_fencing_token, reason,"
                + " request_id, payload_hash, applied_sequence, applied_payload_hash, session_epoch, stored_session_epoch)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (topic, partition, kafka_offset) DO NOTHING")) {
            for (Refusal r : refusals) {
                SequencedMutation v = r.record().value();
                ps.setString(1, r.record().topic());
                ps.setInt(2, r.record().partition());
                ps.setLong(3, r.record().offset());
                ps.setString(4, v.sessionId());
                ps.setString(5, v.scopedKey());
                ps.setLong(6, v.sequence());
                ps.setLong(7, r.stored().sequence());
                ps.setObject(8, v.fencingToken(), Types.BIGINT);
                ps.setObject(9, r.stored().fencingToken(), Types.BIGINT);
                ps.setString(10, r.reason());
                ps.setString(11, v.requestId());
                ps.setString(12, v.payloadHash());
                ps.setObject(13, r.applied() == null ? null : r.applied().sequence(), Types.BIGINT);
                ps.setString(14, r.applied() == null ? null : r.applied().payloadHash());
                ps.setLong(15, v.sessionEpoch());
                ps.setLong(16, r.stored().epoch());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void insertDeadLetters(Connection c, List<Inbound.Poison> poisons) throws SQLException {
        if (poisons.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO sink_dead_letters (topic, partition, kafka_offset,"
                + " record_key, raw_value, error) VALUES (?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (topic, partition, kafka_offset) DO NOTHING")) {
            for (Inbound.Poison p : poisons) {
                ps.setString(1, p.topic());
                ps.setInt(2, p.partition());
                ps.setLong(3, p.offset());
                ps.setBytes(4, p.rawKey());
                ps.setBytes(5, p.rawValue());
                ps.setString(6, safeText(p.error()));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private void upsertOffsets(Connection c, Map<TopicPartition, Long> nextOffsets) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO sink_offsets (consumer_group, topic, partition, next_offset, updated_at)"
                        + " VALUES (?, ?, ?, ?, now())"
                        + " ON CONFLICT (consumer_group, topic, partition) DO UPDATE"
                        + " SET next_offset = EXCLUDED.next_offset, updated_at = EXCLUDED.updated_at")) {
            for (Map.Entry<TopicPartition, Long> e : nextOffsets.entrySet()) {
                ps.setString(1, groupId);
                ps.setString(2, e.getKey().topic());
                ps.setInt(3, e.getKey().partition());
                ps.setLong(4, e.getValue());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static String textOrNull(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    private static OffsetDateTime utc(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    /** PostgreSQL text cannot hold NUL; error texts are also kept to a readable length. */
    private static String safeText(String text) {
        String clean = text.replace('\u0000', '?');
        return clean.length() > MAX_TEXT ? clean.substring(0, MAX_TEXT) : clean;
    }

    private static void rollbackQuietly(Connection c, Exception cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }
}
