package io.splitguard.checkpoint.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.splitguard.checkpoint.CheckpointTopology;
import io.splitguard.checkpoint.config.CheckpointConfig;
import io.splitguard.health.Health;
import io.splitguard.schemas.topics.TopicCatalog;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the checkpoint topology. A stream thread that dies of an unexpected error is replaced; its task
 * restarts from the last committed transaction, so nothing is applied twice.
 */
public final class CheckpointStreams implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStreams.class);

    private final KafkaStreams streams;

    private CheckpointStreams(KafkaStreams streams) {
        this.streams = streams;
    }

    public static CheckpointStreams start(CheckpointConfig config, TopicCatalog topics) {
        return start(config, CheckpointTopology.build(config, topics));
    }

    /** Runs {@code topology} (built by {@link CheckpointTopology}) with {@code config}'s settings. */
    public static CheckpointStreams start(CheckpointConfig config, org.apache.kafka.streams.Topology topology) {
        KafkaStreams streams = new KafkaStreams(topology, config.streamsProperties());
        streams.setUncaughtExceptionHandler(error -> {
            LOG.error("stream thread failed; replacing it", error);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((now, before) -> LOG.info("checkpoint topology {} -> {}", before, now));
        streams.start();
        return new CheckpointStreams(streams);
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
