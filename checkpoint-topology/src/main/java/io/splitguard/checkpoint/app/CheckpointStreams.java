package io.splitguard.checkpoint.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.splitguard.checkpoint.CheckpointTopology;
import io.splitguard.checkpoint.config.CheckpointConfig;
import io.splitguard.checkpoint.processor.ServingPartitions;
import io.splitguard.health.Health;
import io.splitguard.health.StreamsFacts;
import io.splitguard.health.StreamsStatus;
import io.splitguard.schemas.topics.TopicCatalog;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the checkpoint topology. A stream thread that dies of an unexpected error is replaced; its task
 * restarts from the last committed transaction, so nothing is applied twice.
 */
public final class CheckpointStreams implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStreams.class);

    private final KafkaStreams streams;
    private final CheckpointConfig config;
    private final List<String> topics;
    private final ServingPartitions serving;

    private CheckpointStreams(
            KafkaStreams streams, CheckpointConfig config, List<String> topics, ServingPartitions serving) {
        this.streams = streams;
        this.config = config;
        this.topics = topics;
        this.serving = serving;
    }

    public static CheckpointStreams start(CheckpointConfig config, TopicCatalog topics) {
        return start(config, topics, CheckpointTopology.persistentStore());
    }

    /**
     * Runs the checkpoint topology with {@code config}'s settings and its store from {@code latestStore}
     * (see {@link CheckpointTopology#build(CheckpointConfig, TopicCatalog, KeyValueBytesStoreSupplier,
     * ServingPartitions)}).
     */
    public static CheckpointStreams start(
            CheckpointConfig config, TopicCatalog catalog, KeyValueBytesStoreSupplier latestStore) {
        return start(config, catalog, latestStore, null);
    }

    /**
     * As {@link #start(CheckpointConfig, TopicCatalog, KeyValueBytesStoreSupplier)}, with {@code restores}
     * (may be null) told of every store restoration, which runs before a partition is served.
     */
    public static CheckpointStreams start(
            CheckpointConfig config,
            TopicCatalog catalog,
            KeyValueBytesStoreSupplier latestStore,
            StateRestoreListener restores) {
        ServingPartitions serving = new ServingPartitions();
        Topology topology = CheckpointTopology.build(config, catalog, latestStore, serving);
        KafkaStreams streams = new KafkaStreams(topology, config.streamsProperties());
        streams.setUncaughtExceptionHandler(error -> {
            LOG.error("stream thread failed; replacing it", error);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((now, before) -> LOG.info("checkpoint topology {} -> {}", before, now));
        if (restores != null) {
            streams.setGlobalStateRestoreListener(restores);
        }
        streams.start();
        return new CheckpointStreams(streams, config, StreamsFacts.topics(topology), serving);
    }

    /** The partitions whose active task runs here, restored: the only ones interactive queries trust. */
    public ServingPartitions serving() {
        return serving;
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

    /** State, threads, tasks and lag for the {@code streams} health component ({@link StreamsFacts#status}). */
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

    /**
     * The running Kafka Streams instance, for interactive queries of the {@code latest-checkpoints} store
     * (values read with {@link CheckpointTopology#storeSerde()}; an entry past its {@code expires_at}
     * counts as absent).
     */
    public KafkaStreams kafkaStreams() {
        return streams;
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
