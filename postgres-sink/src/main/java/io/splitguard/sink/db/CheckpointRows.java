package io.splitguard.sink.db;

import io.splitguard.schemas.model.StoredCheckpoint;
import io.splitguard.sink.consumer.Inbound;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The {@code session_checkpoints} part of a batch, inside the batch's transaction.
 *
 * <p>The fence is the checkpoint topology's, applied again: a checkpoint replaces the stored one only
 * with a greater sequence, or when the stored one had expired by the time the new one was accepted
 * (both instants on the accepting topology instance's clock). Anything else is refused with reason
 * {@link #NOT_NEWER} and kept in {@code sink_refusals}, which the audit outbox publishes. The record
 * the row already holds (same source partition and offset of checkpoints-in) is not a refusal: it is
 * skipped. A purge (tombstone) deletes the row.
 *
 * <p>No lock race: a session's checkpoints all come from one partition of the checkpoints topic, and
 * the batch writer holds that partition's {@code sink_offsets} row locked until it commits.
 */
public final class CheckpointRows {

    /** {@code sink_refusals.reason} of a checkpoint that was not newer than the stored live one. */
    public static final String NOT_NEWER = "checkpoint_not_newer";

    /** The prefix of {@code sink_refusals.scoped_key} for a refused checkpoint; the checkpoint id follows. */
    public static final String REFUSAL_KEY_PREFIX = "checkpoint:";

    private CheckpointRows() {}

    /** What the stored row of a session holds, as far as the fence needs it. */
    public record Stored(
            String checkpointId, long sequence, Instant expiresAt, int sourcePartition, long sourceOffset) {
        static Stored of(StoredCheckpoint c) {
            return new Stored(c.checkpointId(), c.sequence(), c.expiresAt(), c.sourcePartition(), c.sourceOffset());
        }

        boolean isSameSourceAs(StoredCheckpoint c) {
            return sourcePartition == c.sourcePartition() && sourceOffset == c.sourceOffset();
        }
    }

    /** A checkpoint the fence refused, and the stored one it was judged against. */
    public record Refusal(Inbound.Checkpoint record, Stored stored) {
        public Refusal {
            Objects.requireNonNull(record, "record");
            Objects.requireNonNull(stored, "stored");
        }
    }

    public record Result(int written, int purged, List<Refusal> refusals) {
        static final Result NONE = new Result(0, 0, List.of());
    }

    /** Applies {@code records} (checkpoints and purges, in poll order) and records the refusals. */
    static Result write(Connection c, List<Inbound> records) throws SQLException {
        if (records.isEmpty()) {
            return Result.NONE;
        }
        Map<String, Optional<Stored>> current = lock(c, records);
        // the final state of each session the batch changed: a checkpoint to store, or empty to delete
        Map<String, Optional<StoredCheckpoint>> changed = new LinkedHashMap<>();
        List<Refusal> refusals = new ArrayList<>();
        int written = 0;
        int purged = 0;
        for (Inbound in : records) {
            if (in instanceof Inbound.CheckpointPurge p) {
                current.put(p.sessionId(), Optional.empty());
                changed.put(p.sessionId(), Optional.empty());
                purged++;
            } else if (in instanceof Inbound.Checkpoint cp) {
                StoredCheckpoint v = cp.value();
                Optional<Stored> stored = current.getOrDefault(v.sessionId(), Optional.empty());
                if (stored.isPresent() && stored.get().isSameSourceAs(v)) {
                    continue;
                }
                if (stored.isEmpty()
                        || !stored.get().expiresAt().isAfter(v.storedAt())
                        || v.sequence() > stored.get().sequence()) {
                    current.put(v.sessionId(), Optional.of(Stored.of(v)));
                    changed.put(v.sessionId(), Optional.of(v));
                    written++;
                } else {
                    refusals.add(new Refusal(cp, stored.get()));
                }
            }
        }
        delete(c, changed);
        upsert(c, changed);
        insertRefusals(c, refusals);
        return new Result(written, purged, List.copyOf(refusals));
    }

    private static Map<String, Optional<Stored>> lock(Connection c, List<Inbound> records) throws SQLException {
        TreeSet<String> sessions = new TreeSet<>();
        for (Inbound in : records) {
            if (in instanceof Inbound.Checkpoint cp) {
                sessions.add(cp.value().sessionId());
            } else if (in instanceof Inbound.CheckpointPurge p) {
                sessions.add(p.sessionId());
            }
        }
        Map<String, Optional<Stored>> found = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT session_id, checkpoint_id, sequence, expires_at,"
                + " source_partition, source_offset FROM session_checkpoints"
                + " WHERE session_id = ANY(?::text[]) ORDER BY session_id FOR UPDATE")) {
            ps.setArray(1, c.createArrayOf("text", sessions.toArray(String[]::new)));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.put(
                            rs.getString(1),
                            Optional.of(new Stored(
                                    rs.getString(2),
                                    rs.getLong(3),
                                    rs.getObject(4, OffsetDateTime.class).toInstant(),
                                    rs.getInt(5),
                                    rs.getLong(6))));
                }
            }
        }
        return found;
    }

    private static void delete(Connection c, Map<String, Optional<StoredCheckpoint>> changed) throws SQLException {
        String[] gone = changed.entrySet().stream()
                .filter(e -> e.getValue().isEmpty())
                .map(Map.Entry::getKey)
                .toArray(String[]::new);
        if (gone.length == 0) {
            return;
        }
        try (PreparedStatement ps =
                c.prepareStatement("DELETE FROM session_checkpoints WHERE session_id = ANY(?::text[])")) {
            ps.setArray(1, c.createArrayOf("text", gone));
            ps.executeUpdate();
        }
    }

    private static void upsert(Connection c, Map<String, Optional<StoredCheckpoint>> changed) throws SQLException {
        List<StoredCheckpoint> rows =
                changed.values().stream().flatMap(Optional::stream).toList();
        if (rows.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO session_checkpoints (session_id, checkpoint_id,"
                + " sequence, schema_version, flow_version, variables, region, ttl_seconds, request_id, received_at,"
                + " stored_at, expires_at, source_partition, source_offset, written_at)"
                + " VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, now())"
                + " ON CONFLICT (session_id) DO UPDATE SET checkpoint_id = EXCLUDED.checkpoint_id,"
                + " sequence = EXCLUDED.sequence, schema_version = EXCLUDED.schema_version,"
                + " flow_version = EXCLUDED.flow_version, variables = EXCLUDED.variables, region = EXCLUDED.region,"
                + " ttl_seconds = EXCLUDED.ttl_seconds, request_id = EXCLUDED.request_id,"
                + " received_at = EXCLUDED.received_at, stored_at = EXCLUDED.stored_at,"
                + " expires_at = EXCLUDED.expires_at, source_partition = EXCLUDED.source_partition,"
                + " source_offset = EXCLUDED.source_offset, written_at = EXCLUDED.written_at")) {
            for (StoredCheckpoint v : rows) {
                ps.setString(1, v.sessionId());
                ps.setString(2, v.checkpointId());
                ps.setLong(3, v.sequence());
                ps.setInt(4, v.schemaVersion());
                ps.setString(5, v.flowVersion());
                ps.setString(6, v.variables().toString());
                ps.setString(7, v.region());
                ps.setInt(8, v.ttlSeconds());
                ps.setString(9, v.requestId());
                ps.setObject(10, utc(v.receivedAt()));
                ps.setObject(11, utc(v.storedAt()));
                ps.setObject(12, utc(v.expiresAt()));
                ps.setInt(13, v.sourcePartition());
                ps.setLong(14, v.sourceOffset());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void insertRefusals(Connection c, List<Refusal> refusals) throws SQLException {
        if (refusals.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO sink_refusals (topic, partition, kafka_offset,"
                + " session_id, scoped_key, sequence, stored_sequence, reason, request_id)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (topic, partition, kafka_offset) DO NOTHING")) {
            for (Refusal r : refusals) {
                StoredCheckpoint v = r.record().value();
                ps.setString(1, r.record().topic());
                ps.setInt(2, r.record().partition());
                ps.setLong(3, r.record().offset());
                ps.setString(4, v.sessionId());
                ps.setString(5, REFUSAL_KEY_PREFIX + v.checkpointId());
                ps.setLong(6, v.sequence());
                ps.setLong(7, r.stored().sequence());
                ps.setString(8, NOT_NEWER);
                ps.setString(9, v.requestId());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static OffsetDateTime utc(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }
}
