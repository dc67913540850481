package io.splitguard.sink.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import javax.sql.DataSource;

/**
 * Deletes {@code idempotency_store} rows past their expiry, a bounded batch per statement (each in
 * its own short transaction), so pruning never holds long locks against the writer.
 */
public final class IdempotencyPruner {

    private final DataSource dataSource;
    private final int batchSize;

    public IdempotencyPruner(DataSource dataSource, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1");
        }
        this.dataSource = dataSource;
        this.batchSize = batchSize;
    }

    /** Deletes every row whose {@code expires_at} is at or before {@code now}; returns how many. */
    public long pruneExpired(Instant now) throws SQLException {
        long total = 0;
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM idempotency_store WHERE id IN"
                        + " (SELECT id FROM idempotency_store WHERE expires_at <= ?"
                        + " ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED)")) {
            c.setAutoCommit(true);
            while (true) {
                ps.setObject(1, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
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
