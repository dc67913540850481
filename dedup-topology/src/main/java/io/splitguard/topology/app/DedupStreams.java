package io.splitguard.topology.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.splitguard.health.Health;
import io.splitguard.health.StreamsFacts;
import io.splitguard.health.StreamsStatus;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.topology.DedupTopology;
import io.splitguard.topology.config.DedupConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
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
        return new DedupStreams(streams, config, StreamsFacts.topics(topology));
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
        return StreamsFacts.adminProperties(config.streamsProperties());
    }

    /**
     * State, live threads, tasks and lag for the {@code streams} health component. Active lag: end
     * offsets minus committed offsets of the owned tasks' input partitions. Standby lag: the lag of
     * every local store behind its changelog; once {@code RUNNING} the active stores are restored, so
     * what remains is the standbys'.
     */
    public StreamsStatus status() {
        return StreamsFacts.status(streams);
    }

    /** Binds the Kafka Streams metrics (and those of its clients) to {@code registry}. */
    public void bindMetrics(MeterRegistry registry) {
        new KafkaStreamsMetrics(streams).bindTo(registry);
    }

    /** See {@link StreamsFacts#liveness}. */
    public Health liveness() {
        return StreamsFacts.liveness(streams);
    }

    /** See {@link StreamsFacts#readiness}. */
    public Health readiness() {
        return StreamsFacts.readiness(streams);
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
