package io.splitguard.sink.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import javax.sql.DataSource;

/**
 * Deletes what the sink keeps only for a while: {@code idempotency_store} rows past their expiry,
 * {@code session_checkpoints} rows past theirs, and {@code session_sequences} marks of sessions idle
 * past the horizon. A bounded batch per statement,
 * each in its own short transaction, skipping rows a writer holds, so pruning never waits on or
 * blocks the writer.
 */
public final class Pruner {

    private static final String EXPIRED_KEYS = "DELETE FROM idempotency_store WHERE id IN"
            + " (SELECT id FROM idempotency_store WHERE expires_at <= ?"
            + " ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED)";

    // the database's clock on both sides: updated_at is set by now() when a mark is written
    private static final String IDLE_SESSIONS = "DELETE FROM session_sequences WHERE session_id IN"
            + " (SELECT session_id FROM session_sequences"
            + " WHERE updated_at < now() - make_interval(secs => ?)"
            + " ORDER BY updated_at LIMIT ? FOR UPDATE SKIP LOCKED)";

    // expires_at is on the accepting topology instance's clock; the purge's tombstone normally deletes the
    // row first, this catches a sink that was too far behind to see the tombstone before compaction did
    private static final String EXPIRED_CHECKPOINTS = "DELETE FROM session_checkpoints WHERE session_id IN"
            + " (SELECT session_id FROM session_checkpoints WHERE expires_at <= ?"
            + " ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED)";

    private final DataSource dataSource;
    private final int batchSize;

    public Pruner(DataSource dataSource, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1");
        }
        this.dataSource = dataSource;
        this.batchSize = batchSize;
    }

    /** Deletes every idempotency row whose {@code expires_at} is at or before {@code now}; returns how many. */
    public long pruneExpiredKeys(Instant now) throws SQLException {
        return deleteInBatches(EXPIRED_KEYS, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
    }

    /** Deletes every session checkpoint whose {@code expires_at} is at or before {@code now}; returns how many. */
    public long pruneExpiredCheckpoints(Instant now) throws SQLException {
        return deleteInBatches(EXPIRED_CHECKPOINTS, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
    }

    /**
     * Deletes the marks of sessions not written for longer than {@code horizon}; returns how many. A
     * session written again afterwards comes in a later epoch, which its new mark then records.
     */
    public long pruneIdleSessions(Duration horizon) throws SQLException {
        return deleteInBatches(IDLE_SESSIONS, horizon.toMillis() / 1000.0);
    }

    private long deleteInBatches(String sql, Object bound) throws SQLException {
        long total = 0;
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            c.setAutoCommit(true);
            while (true) {
                ps.setObject(1, bound);
                ps.setInt(2, batchSize);
                int deleted = ps.executeUpdate();
                total += deleted;
                if (deleted < batchSize) {
                    return total;
                }
            }
        }
    }
}
