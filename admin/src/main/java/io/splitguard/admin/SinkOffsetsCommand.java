package io.splitguard.admin;

import com.zaxxer.hikari.HikariDataSource;
import io.splitguard.sink.config.SinkConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The sink keeps its positions in {@code sink_offsets} (with its rows), so Kafka's own offset tools
 * cannot move it: this shows them next to the topic's offsets and moves them safely.
 */
@Command(
        name = "sink-offsets",
        mixinStandardHelpOptions = true,
        description = "Show or reset the offsets the Postgres sink stores in sink_offsets.",
        subcommands = {SinkOffsetsCommand.Show.class, SinkOffsetsCommand.Reset.class})
final class SinkOffsetsCommand {

    private static final long TIMEOUT_MS = 30_000;

    /** The topics the sink reads and keeps offsets of. */
    enum SinkTopic {
        mutations,
        checkpoints;

        String name(AdminSettings settings) {
            return this == mutations
                    ? settings.catalog().mutations.name()
                    : settings.catalog().checkpoints.name();
        }
    }

    /** One partition of a topic the sink reads: its stored next offset (null: none) and the topic's bounds. */
    record Row(int partition, Long stored, long logStart, long logEnd) {
        /** Records committed to the topic the sink has not written yet. */
        long lag() {
            return logEnd - Math.max(stored == null ? logStart : stored, logStart);
        }

        String state() {
            return stored != null && stored < logStart ? "LOST: records before the log start were never written" : "";
        }
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            description = "The stored offset of each partition with the topic's log start and end offsets and the lag.")
    static final class Show extends AdminCommand implements Callable<Integer> {
        @Option(
                names = "--topic",
                defaultValue = "mutations",
                description = "Which topic's offsets: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
        SinkTopic which;

        @Override
        public Integer call() throws Exception {
            AdminSettings settings = settings();
            SinkConfig sink = settings.sink();
            String topic = which.name(settings);
            List<Row> rows = rows(settings, sink, topic);
            out().printf("topic %s, sink group %s%n", topic, sink.groupId());
            out().printf("%9s %12s %12s %12s %10s%n", "partition", "stored", "log-start", "log-end", "lag");
            for (Row r : rows) {
                out().printf(
                                "%9d %12s %12d %12d %10d %s%n",
                                r.partition(),
                                r.stored() == null ? "-" : r.stored(),
                                r.logStart(),
                                r.logEnd(),
                                r.lag(),
                                r.state());
            }
            return SplitGuardAdmin.OK;
        }
    }

    @Command(
            name = "reset",
            mixinStandardHelpOptions = true,
            description = {
                "Set the stored next offset of one partition. A dry run unless --execute.",
                "Refused while the sink's consumer group has members, and for an offset outside the topic's"
                        + " [log start, log end]. Moving back makes the sink read records again (mutations are"
                        + " refused as duplicates; checkpoints already stored are skipped, so resetting"
                        + " checkpoints to earliest rebuilds session_checkpoints from the compacted topic);"
                        + " moving forward skips records for good."
            })
    static final class Reset extends AdminCommand implements Callable<Integer> {
        @Option(
                names = "--topic",
                defaultValue = "mutations",
                description = "Which topic's offset: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
        SinkTopic which;

        @Option(names = "--partition", required = true, description = "Partition of that topic.")
        int partition;

        @Option(
                names = "--to",
                required = true,
                paramLabel = "earliest|latest|OFFSET",
                description = "The log start offset, the log end offset, or an offset.")
        String to;

        @Option(names = "--execute", description = "Write the offset (else only show what would change).")
        boolean execute;

        @Override
        public Integer call() throws Exception {
            AdminSettings settings = settings();
            SinkConfig sink = settings.sink();
            String topic = which.name(settings);
            Row row = rows(settings, sink, topic).stream()
                    .filter(r -> r.partition() == partition)
                    .findFirst()
                    .orElse(null);
            if (row == null) {
                err().printf("refused: %s has no partition %d%n", topic, partition);
                return SplitGuardAdmin.REFUSED;
            }
            long target;
            switch (to) {
                case "earliest" -> target = row.logStart();
                case "latest" -> target = row.logEnd();
                default -> {
                    try {
                        target = Long.parseLong(to);
                    } catch (NumberFormatException e) {
                        err().printf("refused: --to must be earliest, latest or an offset, was '%s'%n", to);
                        return SplitGuardAdmin.REFUSED;
                    }
                }
            }
            if (target < row.logStart() || target > row.logEnd()) {
                err().printf(
                                "refused: offset %d is outside partition %d's [log start %d, log end %d]%n",
                                target, partition, row.logStart(), row.logEnd());
                return SplitGuardAdmin.REFUSED;
            }
            List<String> members;
            try (Admin admin = settings.admin()) {
                members = activeMembers(admin, sink.groupId());
            }
            if (!members.isEmpty()) {
                err().printf(
                                "refused: the sink's consumer group %s has %d active member(s) (%s); stop every sink"
                                        + " instance first%n",
                                sink.groupId(), members.size(), String.join(", ", members));
                return SplitGuardAdmin.REFUSED;
            }
            String from = row.stored() == null ? "none" : Long.toString(row.stored());
            if (!execute) {
                out().printf(
                                "dry run: partition %d of %s, group %s: stored %s -> %d (add --execute to write)%n",
                                partition, topic, sink.groupId(), from, target);
                return SplitGuardAdmin.OK;
            }
            try (HikariDataSource db = settings.dataSource(null);
                    Connection c = db.getConnection();
                    PreparedStatement ps = c.prepareStatement("INSERT INTO sink_offsets (consumer_group, topic,"
                            + " partition, next_offset, updated_at) VALUES (?, ?, ?, ?, now())"
                            + " ON CONFLICT (consumer_group, topic, partition) DO UPDATE"
                            + " SET next_offset = EXCLUDED.next_offset, updated_at = EXCLUDED.updated_at")) {
                ps.setString(1, sink.groupId());
                ps.setString(2, topic);
                ps.setInt(3, partition);
                ps.setLong(4, target);
                ps.executeUpdate();
            }
            out().printf(
                            "reset partition %d of %s, group %s: stored %s -> %d%n",
                            partition, topic, sink.groupId(), from, target);
            return SplitGuardAdmin.OK;
        }
    }

    static List<Row> rows(AdminSettings settings, SinkConfig sink, String topic) throws Exception {
        Map<Integer, Long> stored = stored(settings, sink.groupId(), topic);
        try (Admin admin = settings.admin()) {
            int partitions = admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get(TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .get(topic)
                    .partitions()
                    .size();
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                earliest.put(new TopicPartition(topic, p), OffsetSpec.earliest());
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            ListOffsetsOptions committed = new ListOffsetsOptions(IsolationLevel.READ_COMMITTED);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> start =
                    admin.listOffsets(earliest, committed).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end =
                    admin.listOffsets(latest, committed).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            List<Row> rows = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                TopicPartition tp = new TopicPartition(topic, p);
                rows.add(new Row(
                        p, stored.get(p), start.get(tp).offset(), end.get(tp).offset()));
            }
            return rows;
        }
    }

    private static Map<Integer, Long> stored(AdminSettings settings, String group, String topic) throws SQLException {
        Map<Integer, Long> stored = new HashMap<>();
        try (HikariDataSource db = settings.dataSource(null);
                Connection c = db.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT partition, next_offset FROM sink_offsets"
                        + " WHERE consumer_group = ? AND topic = ? AND next_offset IS NOT NULL")) {
            ps.setString(1, group);
            ps.setString(2, topic);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    stored.put(rs.getInt(1), rs.getLong(2));
                }
            }
        }
        return stored;
    }

    /** The members of the sink's consumer group (client id @ host); empty when it has none or does not exist. */
    static List<String> activeMembers(Admin admin, String group) throws Exception {
        try {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group))
                    .describedGroups()
                    .get(group)
                    .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            List<String> members = new ArrayList<>();
            for (MemberDescription m : d.members()) {
                members.add(m.clientId() + "@" + m.host());
            }
            return members;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return List.of();
            }
            throw e;
        }
    }
}
