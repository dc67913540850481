package io.splitguard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.schemas.json.Json;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads what the sink wrote, for the end-to-end checks. */
final class Database {

    /** One row of crm_contact_updates, with the parts of the sent body the sink stores. */
    record Row(
            String idempotencyKey,
            String sessionId,
            long sequence,
            String contactId,
            String operation,
            JsonNode payload) {}

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

    /** Every row of crm_contact_updates. */
    List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url, "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select idempotency_key, session_id, sequence, contact_id, operation,"
                        + " payload::text from crm_contact_updates order by id")) {
            while (rs.next()) {
                rows.add(new Row(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getLong(3),
                        rs.getString(4),
                        rs.getString(5),
                        Json.mapper().readTree(rs.getString(6))));
            }
        } catch (SQLException | JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return rows;
    }

    /** How many rows idempotency_store holds per idempotency key. */
    Map<String, Long> idempotencyStoreCounts() {
        Map<String, Long> counts = new HashMap<>();
        try (Connection c = DriverManager.getConnection(url, "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "select idempotency_key, count(*) from idempotency_store group by idempotency_key")) {
            while (rs.next()) {
                counts.put(rs.getString(1), rs.getLong(2));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return counts;
    }

    /** The fencing high-water mark of each session (session_sequences.last_sequence). */
    Map<String, Long> sessionMarks() {
        Map<String, Long> marks = new HashMap<>();
        try (Connection c = DriverManager.getConnection(url, "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "select session_id, last_sequence from session_sequences where last_sequence > 0")) {
            while (rs.next()) {
                marks.put(rs.getString(1), rs.getLong(2));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return marks;
    }

    /** The sink's stored positions (sink_offsets.next_offset) of one consumer group on one topic, by partition. */
    Map<Integer, Long> sinkOffsets(String group, String topic) {
        Map<Integer, Long> offsets = new HashMap<>();
        try (Connection c = DriverManager.getConnection(url, "postgres", "");
                PreparedStatement ps = c.prepareStatement("select partition, next_offset from sink_offsets"
                        + " where consumer_group = ? and topic = ? and next_offset is not null")) {
            ps.setString(1, group);
            ps.setString(2, topic);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    offsets.put(rs.getInt(1), rs.getLong(2));
                }
            }
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                return offsets;
            }
            throw new IllegalStateException(e);
        }
        return offsets;
    }

    /**
     * Waits until the sink's stored position on every partition of the mutations topic is past the last
     * committed record there: everything the topology committed has been written or refused, in the same
     * database transactions as those positions.
     */
    void awaitSinkPast(String group, String topic, List<Topics.Committed> committed, Duration atMost) {
        Map<Integer, Long> needed = new HashMap<>();
        committed.forEach(r -> needed.merge(r.partition(), r.offset() + 1, Math::max));
        await("sink " + group + " past the last committed record of " + topic)
                .atMost(atMost)
                .pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> {
                    Map<Integer, Long> stored = sinkOffsets(group, topic);
                    needed.forEach((partition, offset) -> assertThat(stored.getOrDefault(partition, 0L))
                            .as("sink position on %s-%d", topic, partition)
                            .isGreaterThanOrEqualTo(offset));
                });
    }
}
