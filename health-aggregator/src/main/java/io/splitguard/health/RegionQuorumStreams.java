package io.splitguard.health;

import io.splitguard.schemas.topics.TopicCatalog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;

/**
 * Runs {@link RegionQuorumTopology} in a {@link KafkaStreams} instance: exactly-once v2, one thread
 * (the topology has one task), a standby where there are more instances. Run it in every region; the
 * single task lives on one instance at a time, and a standby takes over with the restored decision
 * when that instance goes.
 */
public final class RegionQuorumStreams implements AutoCloseable {

    private static final Set<String> GUARDED = Set.of(
            StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
            StreamsConfig.APPLICATION_ID_CONFIG,
            StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
            StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG);

    private final KafkaStreams streams;

    private RegionQuorumStreams(KafkaStreams streams) {
        this.streams = streams;
    }

    /**
     * The Streams properties: exactly-once v2, acks=all, read_committed. A vote that does not
     * deserialize is logged and skipped (the region votes again within one interval); anything else
     * thrown fails the task, which resumes from its last committed transaction.
     *
     * @param extra further Streams settings (the guarantees above cannot be overridden)
     */
    public static Properties properties(
            String bootstrapServers, RegionSettings settings, Path stateDir, Map<String, ?> extra) {
        Map<String, Object> p = new HashMap<>();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, settings.quorumApplicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 1);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        p.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailProcessingExceptionHandler.class);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG), "all");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        extra.forEach((key, value) -> {
            if (GUARDED.contains(key)) {
                throw new IllegalArgumentException("setting '" + key + "' cannot be overridden for the region quorum");
            }
            p.put(key, value);
        });
        Properties props = new Properties();
        props.putAll(p);
        return props;
    }

    /** Builds and starts the quorum topology. */
    public static RegionQuorumStreams start(
            String bootstrapServers,
            TopicCatalog topics,
            RegionSettings settings,
            Path stateDir,
            Map<String, ?> extra) {
        KafkaStreams streams = new KafkaStreams(
                RegionQuorumTopology.build(topics, settings), properties(bootstrapServers, settings, stateDir, extra));
        streams.start();
        return new RegionQuorumStreams(streams);
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** The running instance, e.g. for a {@code streams} health component. */
    public KafkaStreams streams() {
        return streams;
    }

    /** Stops, leaving the group, so a standby elsewhere takes the task over at once. */
    @Override
    public void close() {
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(10)));
    }
}
