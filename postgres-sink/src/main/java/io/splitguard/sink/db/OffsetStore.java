package io.splitguard.sink.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.common.TopicPartition;

/** Reads the next offsets the sink committed to {@code sink_offsets}, the only offsets it trusts. */
public final class OffsetStore {

    private final DataSource dataSource;
    private final String groupId;

    public OffsetStore(DataSource dataSource, String groupId) {
        this.dataSource = dataSource;
        this.groupId = groupId;
    }

    /** The stored next offset of each given partition; partitions never written are absent. */
    public Map<TopicPartition, Long> load(Collection<TopicPartition> partitions) throws SQLException {
        Map<TopicPartition, Long> found = new HashMap<>();
        if (partitions.isEmpty()) {
            return found;
        }
        String[] topics = partitions.stream().map(TopicPartition::topic).toArray(String[]::new);
        Integer[] numbers = partitions.stream().map(TopicPartition::partition).toArray(Integer[]::new);
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT topic, partition, next_offset FROM sink_offsets"
                        + " WHERE consumer_group = ? AND next_offset IS NOT NULL AND (topic, partition) IN"
                        + " (SELECT * FROM unnest(?::text[], ?::int[]))")) {
            ps.setString(1, groupId);
            ps.setArray(2, c.createArrayOf("text", topics));
            ps.setArray(3, c.createArrayOf("int4", numbers));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.put(new TopicPartition(rs.getString(1), rs.getInt(2)), rs.getLong(3));
                }
            }
        }
        return found;
    }
}
