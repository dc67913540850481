package io.splitguard.health;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.LagInfo;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;

/**
 * What the health checks of a Kafka Streams service need to know about it, read the same way for
 * every topology: the topics it names, the client settings an admin client of its own must share,
 * and its state, threads, tasks and lag.
 */
public final class StreamsFacts {

    private StreamsFacts() {}

    /** The topics {@code topology} reads and writes by name (not its internal ones), sorted. */
    public static List<String> topics(Topology topology) {
        Set<String> names = new TreeSet<>();
        for (TopologyDescription.Subtopology sub : topology.describe().subtopologies()) {
            for (TopologyDescription.Node node : sub.nodes()) {
                if (node instanceof TopologyDescription.Source source && source.topicSet() != null) {
                    names.addAll(source.topicSet());
                } else if (node instanceof TopologyDescription.Sink sink && sink.topic() != null) {
                    names.add(sink.topic());
                }
            }
        }
        return List.copyOf(names);
    }

    /** The admin-client settings among {@code streamsProperties} (security and the like), without the client id. */
    public static Map<String, Object> adminProperties(Properties streamsProperties) {
        Set<String> known = AdminClientConfig.configNames();
        Map<String, Object> admin = new HashMap<>();
        streamsProperties.forEach((k, v) -> {
            String key = String.valueOf(k);
            if (known.contains(key) && !key.equals(AdminClientConfig.CLIENT_ID_CONFIG)) {
                admin.put(key, v);
            }
        });
        return admin;
    }

    /**
     * State, live threads, tasks and lag for the {@code streams} health component. Active lag: end
     * offsets minus committed offsets of the owned tasks' input partitions. Standby lag: the lag of
     * every local store behind its changelog; once {@code RUNNING} the active stores are restored, so
     * what remains is the standbys'.
     */
    public static StreamsStatus status(KafkaStreams streams) {
        KafkaStreams.State state = streams.state();
        int alive = 0;
        int active = 0;
        int standby = 0;
        long activeLag = 0;
        for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
            if (!"DEAD".equals(thread.threadState()) && !"PENDING_SHUTDOWN".equals(thread.threadState())) {
                alive++;
            }
            active += thread.activeTasks().size();
            standby += thread.standbyTasks().size();
            for (TaskMetadata task : thread.activeTasks()) {
                for (Map.Entry<TopicPartition, Long> end : task.endOffsets().entrySet()) {
                    long committed = task.committedOffsets().getOrDefault(end.getKey(), 0L);
                    activeLag += Math.max(0, end.getValue() - Math.max(0, committed));
                }
            }
        }
        long storeLag = 0;
        try {
            for (Map<Integer, LagInfo> store :
                    streams.allLocalStorePartitionLags().values()) {
                for (LagInfo lag : store.values()) {
                    storeLag += Math.max(0, lag.offsetLag());
                }
            }
        } catch (RuntimeException e) {
            storeLag = -1;
        }
        return new StreamsStatus(state.name(), alive, active, standby, activeLag, storeLag);
    }

    /**
     * Live while the application can still make progress: not failed for good, not shut down. A
     * rebalance or a thread being replaced is still live.
     */
    public static Health liveness(KafkaStreams streams) {
        KafkaStreams.State state = streams.state();
        boolean live = state != KafkaStreams.State.ERROR
                && state != KafkaStreams.State.PENDING_ERROR
                && state != KafkaStreams.State.NOT_RUNNING
                && state != KafkaStreams.State.PENDING_SHUTDOWN;
        return new Health(live, Map.of("state", state.name()));
    }

    /** Ready while running with at least one live stream thread (all tasks assigned and restored). */
    public static Health readiness(KafkaStreams streams) {
        KafkaStreams.State state = streams.state();
        int threads = streams.metadataForLocalThreads().size();
        return new Health(
                state == KafkaStreams.State.RUNNING && threads > 0, Map.of("state", state.name(), "threads", threads));
    }
}
