package io.splitguard.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.schemas.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Compares the sink's tables in two schemas of one database, row by row on each table's natural key,
 * on the columns the topics determine. Left out, because they legitimately differ between the live
 * database and a replay: surrogate ids (insert order), the times rows were written
 * ({@code written_at}, {@code updated_at}, {@code refused_at}, {@code dead_at}), {@code audited_at}
 * (outbox progress) and the dead letters' error text (wording of the database's message). Rows the
 * live sink's prune job may have deleted are not compared: idempotency rows already expired, and the
 * fencing marks of sessions whose last contact update is older than the sink's idle horizon when the
 * live database no longer has them.
 */
final class SchemaComparison {

    /** One row that differs: missing (only in the replay), extra (only in the live schema), or changed. */
    record Difference(String table, String kind, String key, List<String> details) {
        String describe() {
            return table + ": " + kind + " " + key + (details.isEmpty() ? "" : ": " + String.join("; ", details));
        }
    }

    private record Table(String name, List<String> key, List<String> columns, String filter) {}

    static final List<String> COMPARED_TABLES = List.of(
            "crm_contact_updates", "idempotency_store", "session_sequences", "sink_refusals", "sink_dead_letters");

    private static final List<Table> TABLES = List.of(
            new Table(
                    "crm_contact_updates",
                    List.of("scoped_key"),
                    List.of(
                            "idempotency_key",
                            "request_id",
                            "tenant",
                            "route",
                            "session_id",
                            "contact_id",
                            "operation",
                            "payload",
                            "payload_hash",
                            "session_epoch",
                            "sequence",
                            "fencing_token",
                            "received_at",
                            "applied_at"),
                    "TRUE"),
            new Table(
                    "idempotency_store",
                    List.of("scoped_key"),
                    List.of(
                            "idempotency_key",
                            "tenant",
                            "route",
                            "session_id",
                            "payload_hash",
                            "status",
                            "response",
                            "sequence",
                            "created_at",
                            "expires_at"),
                    "expires_at > now()"),
            new Table(
                    "session_sequences",
                    List.of("session_id"),
                    List.of("session_epoch", "last_sequence", "last_fencing_token"),
                    "last_sequence > 0"),
            new Table(
                    "sink_refusals",
                    List.of("topic", "partition", "kafka_offset"),
                    List.of(
                            "session_id",
                            "scoped_key",
                            "reason",
                            "session_epoch",
                            "sequence",
                            "fencing_token",
                            "stored_session_epoch",
                            "stored_sequence",
                            "stored_fencing_token",
                            "request_id",
                            "payload_hash",
                            "applied_sequence",
                            "applied_payload_hash"),
                    // checkpoint refusals come from the checkpoints topic, which a replay of mutations does not read
                    "reason <> 'checkpoint_not_newer'"),
            new Table(
                    "sink_dead_letters",
                    List.of("topic", "partition", "kafka_offset"),
                    List.of("record_key", "raw_value"),
                    "TRUE"));

    private SchemaComparison() {}

    /**
     * The differences between {@code live} and {@code replay}, read in one snapshot.
     *
     * @param sessionIdleHorizon the live sink's idle horizon for session marks
     */
    static List<Difference> compare(Connection c, String live, String replay, Duration sessionIdleHorizon)
            throws SQLException {
        List<Difference> found = new ArrayList<>();
        for (Table table : TABLES) {
            found.addAll(compare(c, table, live, replay, sessionIdleHorizon));
        }
        return found;
    }

    private static List<Difference> compare(
            Connection c, Table table, String live, String replay, Duration sessionIdleHorizon) throws SQLException {
        String columns = String.join(", ", concat(table.key(), table.columns()));
        String join = table.key().stream().map(k -> "l." + k + " = r." + k).collect(Collectors.joining(" AND "));
        String order = table.key().stream()
                .map(k -> "coalesce(l." + k + ", r." + k + ")")
                .collect(Collectors.joining(", "));
        String firstKey = table.key().get(0);
        String pruned = "";
        if (table.name().equals("session_sequences")) {
            // a mark only the replay has, of a session idle past the horizon: the live prune job removed it
            pruned = " AND NOT (l." + firstKey + " IS NULL AND coalesce((SELECT max(u.applied_at) FROM "
                    + quote(replay) + ".crm_contact_updates u WHERE u.session_id = r.session_id), '-infinity')"
                    + " < now() - make_interval(secs => " + sessionIdleHorizon.toSeconds() + "))";
        }
        String sql = "SELECT l." + firstKey + " IS NOT NULL, r." + firstKey + " IS NOT NULL, to_jsonb(l), to_jsonb(r)"
                + " FROM (SELECT " + columns + " FROM " + quote(live) + "." + table.name() + " WHERE "
                + table.filter() + ") l"
                + " FULL JOIN (SELECT " + columns + " FROM " + quote(replay) + "." + table.name() + " WHERE "
                + table.filter() + ") r ON " + join
                + " WHERE to_jsonb(l) IS DISTINCT FROM to_jsonb(r)" + pruned + " ORDER BY " + order;
        List<Difference> found = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setFetchSize(500);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    boolean inLive = rs.getBoolean(1);
                    boolean inReplay = rs.getBoolean(2);
                    ObjectNode l = inLive ? parse(rs.getString(3)) : null;
                    ObjectNode r = inReplay ? parse(rs.getString(4)) : null;
                    ObjectNode any = l != null ? l : r;
                    String key = table.key().stream()
                            .map(k -> k + "=" + any.path(k).asText())
                            .collect(Collectors.joining(","));
                    if (!inLive) {
                        found.add(new Difference(table.name(), "missing in live", key, List.of()));
                    } else if (!inReplay) {
                        found.add(new Difference(table.name(), "extra in live", key, List.of()));
                    } else {
                        List<String> details = new ArrayList<>();
                        for (Iterator<String> it = l.fieldNames(); it.hasNext(); ) {
                            String column = it.next();
                            JsonNode a = l.get(column);
                            JsonNode b = r.get(column);
                            if (!a.equals(b)) {
                                details.add(column + " live " + a + " replay " + b);
                            }
                        }
                        found.add(new Difference(table.name(), "different", key, details));
                    }
                }
            }
        }
        return found;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    static String quote(String schema) {
        return "\"" + AdminSettings.checkSchemaName(schema) + "\"";
    }

    private static ObjectNode parse(String json) {
        try {
            return (ObjectNode) Json.mapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
