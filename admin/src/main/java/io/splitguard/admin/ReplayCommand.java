package io.splitguard.admin;

import com.zaxxer.hikari.HikariDataSource;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.sink.config.SinkConfig;
import io.splitguard.sink.db.OffsetStore;
import io.splitguard.sink.db.SinkMigrations;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Rebuilds the sink's tables from the mutations topic, or checks the live ones against such a
 * rebuild (the database is replayable from the topics).
 */
@Command(
        name = "replay",
        mixinStandardHelpOptions = true,
        description = {
            "Rebuild the sink's tables from the mutations topic into an empty schema (--into-schema), or rebuild them"
                    + " into a temporary schema and compare with the live ones (--verify).",
            "Reads committed records from the first offset up to the end offsets taken at start (--verify: up to"
                    + " the offsets the live database has stored), with the sink's own write logic."
        })
final class ReplayCommand extends AdminCommand implements Callable<Integer> {

    static final class Mode {
        @Option(
                names = "--into-schema",
                paramLabel = "NAME",
                required = true,
                description = "Empty (or new) schema of the sink's database to rebuild into.")
        String intoSchema;

        @Option(
                names = "--verify",
                required = true,
                description = "Compare the live schema with a replay; exit 1 when they differ.")
        boolean verify;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    @Option(
            names = "--schema",
            paramLabel = "NAME",
            description = "With --verify: the live schema (default: the connection's current schema).")
    String liveSchema;

    @Option(names = "--keep-schema", description = "With --verify: keep the temporary schema (it is printed).")
    boolean keepSchema;

    @Option(
            names = "--allow-truncated",
            description = "Replay even though retention deleted the first records of a partition.")
    boolean allowTruncated;

    @Option(names = "--max-report", defaultValue = "50", description = "Differences printed (all are counted).")
    int maxReport;

    @Override
    public Integer call() throws Exception {
        AdminSettings settings = settings();
        SinkConfig sink = settings.sink();
        TopicCatalog catalog = settings.catalog();
        Replayer replayer = new Replayer(settings, catalog.mutations, sink.maxBatchRecords());
        return mode.verify ? verify(settings, sink, replayer) : into(settings, sink, replayer, mode.intoSchema);
    }

    private int into(AdminSettings settings, SinkConfig sink, Replayer replayer, String schema) throws Exception {
        AdminSettings.checkSchemaName(schema);
        try (HikariDataSource db = settings.dataSource(null)) {
            int relations = relations(db, schema);
            if (relations > 0) {
                err().printf(
                                "refused: schema %s is not empty (%d relation(s)); replay writes only into an empty or new"
                                        + " schema%n",
                                schema, relations);
                return SplitGuardAdmin.REFUSED;
            }
        }
        Replayer.Bounds bounds = replayer.bounds();
        out().printf("replaying %s into schema %s up to %s%n", replayer.topicName(), schema, describe(bounds.end()));
        try (HikariDataSource target = settings.dataSource(schema)) {
            SinkMigrations.apply(target, schema);
            Replayer.Result result =
                    replayer.replay(target, sink.groupId(), sink.idempotencyRetention(), bounds.end(), allowTruncated);
            print(result);
        } catch (Replayer.TruncatedException e) {
            err().println("refused: " + e.getMessage());
            return SplitGuardAdmin.REFUSED;
        }
        out().printf(
                        "schema %s holds the sink's tables as of those offsets (offsets stored for group %s)%n",
                        schema, sink.groupId());
        return SplitGuardAdmin.OK;
    }

    private int verify(AdminSettings settings, SinkConfig sink, Replayer replayer) throws Exception {
        String temporary = "splitguard_verify_"
                + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);
        try (HikariDataSource db = settings.dataSource(null)) {
            String live = liveSchema != null ? AdminSettings.checkSchemaName(liveSchema) : currentSchema(db);
            Replayer.Bounds bounds = replayer.bounds();
            Map<TopicPartition, Long> targets = liveOffsets(settings, sink, live, bounds);
            out().printf(
                            "verifying schema %s against a replay of %s up to the stored offsets %s%n",
                            live, replayer.topicName(), describe(targets));
            try {
                try (HikariDataSource target = settings.dataSource(temporary)) {
                    SinkMigrations.apply(target, temporary);
                    print(replayer.replay(
                            target, sink.groupId(), sink.idempotencyRetention(), targets, allowTruncated));
                }
                return compare(db, sink, live, temporary, targets);
            } catch (Replayer.TruncatedException e) {
                err().println("refused: " + e.getMessage());
                return SplitGuardAdmin.REFUSED;
            } finally {
                if (keepSchema) {
                    out().println("kept the replay in schema " + temporary);
                } else {
                    try (Connection c = db.getConnection();
                            Statement st = c.createStatement()) {
                        st.execute("DROP SCHEMA IF EXISTS " + SchemaComparison.quote(temporary) + " CASCADE");
                    }
                }
            }
        }
    }

    private int compare(
            HikariDataSource db, SinkConfig sink, String live, String temporary, Map<TopicPartition, Long> targets)
            throws SQLException {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                Map<TopicPartition, Long> now = storedOffsets(c, live, sink.groupId());
                Map<TopicPartition, Long> expected = new HashMap<>(targets);
                expected.keySet().retainAll(now.keySet());
                if (!now.equals(expected)) {
                    err().printf(
                                    "inconclusive: the sink stored offsets %s while the replay ran to %s; run verify while"
                                            + " the sink is stopped or has no new input%n",
                                    describe(now), describe(targets));
                    return SplitGuardAdmin.FAILED;
                }
                List<SchemaComparison.Difference> differences =
                        SchemaComparison.compare(c, live, temporary, sink.sessionIdleHorizon());
                if (differences.isEmpty()) {
                    out().printf(
                                    "no differences: %s in schema %s match the replay%n",
                                    String.join(", ", SchemaComparison.COMPARED_TABLES), live);
                    return SplitGuardAdmin.OK;
                }
                out().printf("%d difference(s) between schema %s and the replay:%n", differences.size(), live);
                differences.stream().limit(maxReport).forEach(d -> out().println("  " + d.describe()));
                if (differences.size() > maxReport) {
                    out().printf("  ... and %d more%n", differences.size() - maxReport);
                }
                return SplitGuardAdmin.REFUSED;
            } finally {
                c.rollback();
            }
        }
    }

    /**
     * Per partition, where the replay must stop to be comparable with the live tables: the next offset
     * the live sink stored, or the log start (nothing read) for a partition it never wrote.
     */
    private static Map<TopicPartition, Long> liveOffsets(
            AdminSettings settings, SinkConfig sink, String live, Replayer.Bounds bounds) throws SQLException {
        Map<TopicPartition, Long> stored;
        try (HikariDataSource db = settings.dataSource(live)) {
            stored = new OffsetStore(db, sink.groupId()).load(bounds.end().keySet());
        }
        Map<TopicPartition, Long> targets = new TreeMap<>(Offsets.ORDER);
        for (TopicPartition tp : bounds.end().keySet()) {
            long target = stored.getOrDefault(tp, bounds.start().get(tp));
            if (target > bounds.end().get(tp)) {
                throw new IllegalStateException("the live sink stored offset " + target + " for " + tp
                        + ", beyond the topic's end " + bounds.end().get(tp) + ": wrong topic or database?");
            }
            targets.put(tp, target);
        }
        return targets;
    }

    private static Map<TopicPartition, Long> storedOffsets(Connection c, String schema, String group)
            throws SQLException {
        Map<TopicPartition, Long> stored = new HashMap<>();
        try (PreparedStatement ps =
                c.prepareStatement("SELECT topic, partition, next_offset FROM " + SchemaComparison.quote(schema)
                        + ".sink_offsets WHERE consumer_group = ? AND next_offset IS NOT NULL")) {
            ps.setString(1, group);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    stored.put(new TopicPartition(rs.getString(1), rs.getInt(2)), rs.getLong(3));
                }
            }
        }
        return stored;
    }

    private static String currentSchema(HikariDataSource db) throws SQLException {
        try (Connection c = db.getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT current_schema()")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static int relations(HikariDataSource db, String schema) throws SQLException {
        try (Connection c = db.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_class k JOIN pg_namespace n"
                        + " ON n.oid = k.relnamespace WHERE n.nspname = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private void print(Replayer.Result r) {
        out().printf(
                        "replayed %d record(s): %d written, %d refused, %d dead-lettered%n",
                        r.records(), r.written(), r.refused(), r.deadLetters());
    }

    private static String describe(Map<TopicPartition, Long> offsets) {
        Map<Integer, Long> byPartition = new TreeMap<>();
        offsets.forEach((tp, o) -> byPartition.put(tp.partition(), o));
        return byPartition.toString();
    }
}
