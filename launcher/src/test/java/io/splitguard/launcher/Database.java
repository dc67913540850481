package io.splitguard.launcher;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads what the sink wrote, for the end-to-end checks. */
final class Database {

    private final String url;

    Database(String url) {
        this.url = url;
    }

    long count(String table) {
        return queryLong("select count(*) from " + table);
    }

    long queryLong(String sql) {
        try (Connection c = DriverManager.getConnection(url, "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            // Tables appear once the sink's migrations ran; until then there is nothing.
            if ("42P01".equals(e.getSQLState())) {
                return 0;
            }
            throw new IllegalStateException(e);
        }
    }

    /** Each session's applied sequences, in the order the sink wrote them (by written_at, then id). */
    Map<String, List<Long>> sequencesBySession() {
        Map<String, List<Long>> result = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection(url, "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "select session_id, sequence from crm_contact_updates order by session_id, sequence")) {
            while (rs.next()) {
                result.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getLong(2));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return result;
    }
}
