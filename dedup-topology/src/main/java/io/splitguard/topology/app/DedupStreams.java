package io.splitguard.topology.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.splitguard.health.Health;
import io.splitguard.health.StreamsStatus;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.topology.DedupTopology;
import io.splitguard.topology.config.DedupConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.LagInfo;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the dedup topology. A stream thread that dies of an unexpected error is replaced; its task
 * restarts from the last committed transaction, so nothing is applied twice.
 */
public final class DedupStreams implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DedupStreams.class);

    private final KafkaStreams streams;
    private final DedupConfig config;
    private final List<String> topics;

    private DedupStreams(KafkaStreams streams, DedupConfig config, List<String> topics) {
        this.streams = streams;
        this.config = config;
        this.topics = topics;
    }

    public static DedupStreams start(DedupConfig config, TopicCatalog topics) {
        return start(config, DedupTopology.build(config, topics));
    }

    /** Runs {@code topology} (built by {@link DedupTopology}) with {@code config}'s settings. */
    public static DedupStreams start(DedupConfig config, org.apache.kafka.streams.Topology topology) {
        KafkaStreams streams = new KafkaStreams(topology, config.streamsProperties());
        streams.setUncaughtExceptionHandler(error -> {
            LOG.error("stream thread failed; replacing it", error);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((now, before) -> LOG.info("dedup topology {} -> {}", before, now));
        streams.start();
        return new DedupStreams(streams, config, topicsOf(topology));
    }

    /** The topics {@code topology} reads and writes by name (not its internal ones). */
    private static List<String> topicsOf(org.apache.kafka.streams.Topology topology) {
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

    /** The topics the topology reads and writes, which {@code kafka_quorum} watches. */
    public List<String> topics() {
        return topics;
    }

    public String bootstrapServers() {
        return config.bootstrapServers();
    }

    /** The client settings of the topology (security and the like) an admin client of its own also needs. */
    public Map<String, Object> adminProperties() {
        Set<String> known = AdminClientConfig.configNames();
        Map<String, Object> admin = new HashMap<>();
        config.streamsProperties().forEach((k, v) -> {
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
    public StreamsStatus status() {
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

    /** Binds the Kafka Streams metrics (and those of its clients) to {@code registry}. */
    public void bindMetrics(MeterRegistry registry) {
        new KafkaStreamsMetrics(streams).bindTo(registry);
    }

    /**
     * Live while the application can still make progress: not failed for good, not shut down. A
     * rebalance or a thread being replaced is still live.
     */
    public Health liveness() {
        KafkaStreams.State state = streams.state();
        boolean live = state != KafkaStreams.State.ERROR
                && state != KafkaStreams.State.PENDING_ERROR
                && state != KafkaStreams.State.NOT_RUNNING
                && state != KafkaStreams.State.PENDING_SHUTDOWN;
        return new Health(live, Map.of("state", state.name()));
    }

    /** Ready while running with at least one live stream thread (all tasks assigned and restored). */
    public Health readiness() {
        KafkaStreams.State state = streams.state();
        int threads = streams.metadataForLocalThreads().size();
        return new Health(
                state == KafkaStreams.State.RUNNING && threads > 0, Map.of("state", state.name(), "threads", threads));
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    public boolean isRunning() {
        return streams.state() == KafkaStreams.State.RUNNING;
    }

    /** Clean stop: commits, closes stores, leaves the group so partitions move at once. */
    @Override
    public void close() {
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
    }
}
