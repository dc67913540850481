package io.splitguard.sink.db;

import java.sql.SQLException;

/** Sorts database errors into those one record causes and those the next attempt may not meet. */
public final class SqlErrors {

    private SqlErrors() {}

    /**
     * Errors caused by one record's content (SQLSTATE class 22 data exceptions, NOT NULL and CHECK
     * violations), which retrying can never fix. Everything else (connections, locks, deadlocks,
     * server restarts, a unique violation the writer did not expect) is worth another attempt.
     * Causes and chained exceptions (a batch's {@code getNextException}) are searched too.
     */
    public static boolean isRecordSpecific(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                for (SQLException s = sql; s != null; s = s.getNextException()) {
                    String state = s.getSQLState();
                    if (state != null && (state.startsWith("22") || state.equals("23502") || state.equals("23514"))) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
