package io.splitguard.topology.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;

/**
 * Settings of the dedup topology, validated on construction.
 *
 * @param applicationId Kafka Streams application id: consumer group, changelog and transactional id
 *     prefix. Changing it on a running deployment forgets every remembered key.
 * @param bootstrapServers Kafka bootstrap servers
 * @param dedupWindow how long an idempotency key is remembered. Must not shrink between restarts
 *     while keys inside the old window still matter: the store's segments follow it.
 * @param stateDir where RocksDB keeps the local state
 * @param streamThreads stream threads in this instance
 * @param standbyReplicas warm copies of each store on other instances (faster failover)
 * @param commitInterval how often transactions commit; bounds end-to-end latency under exactly-once
 * @param deadLetterTopic where records no handler can process go, with the error in headers
 * @param extra further Streams/client settings, passed through as they are
 */
public record DedupConfig(
        String applicationId,
        String bootstrapServers,
        Duration dedupWindow,
        Path stateDir,
        int streamThreads,
        int standbyReplicas,
        Duration commitInterval,
        String deadLetterTopic,
        Map<String, String> extra) {

    public static final String DEFAULT_APPLICATION_ID = "splitguard-dedup";

    public DedupConfig {
        Objects.requireNonNull(applicationId, "applicationId");
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(dedupWindow, "dedupWindow");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(commitInterval, "commitInterval");
        Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
        if (dedupWindow.isNegative() || dedupWindow.isZero()) {
            throw new IllegalArgumentException("dedupWindow must be positive");
        }
        if (streamThreads < 1) {
            throw new IllegalArgumentException("streamThreads must be >= 1");
        }
        if (standbyReplicas < 0) {
            throw new IllegalArgumentException("standbyReplicas must be >= 0");
        }
        extra = Map.copyOf(extra);
    }

    /** The Kafka Streams properties: exactly-once v2, explicit error handlers, the named dead-letter topic. */
    public Properties streamsProperties() {
        Map<String, Object> p = new HashMap<>();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads);
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standbyReplicas);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitInterval.toMillis());
        p.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueProcessingExceptionHandler.class);
        p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, deadLetterTopic);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG), "all");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        p.putAll(extra);
        Properties props = new Properties();
        props.putAll(p);
        return props;
    }

    /**
     * Reads settings from environment-style keys ({@code SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS},
     * {@code SPLITGUARD_DEDUP_WINDOW} as ISO-8601 duration, ...), falling back to defaults.
     * Keys starting with {@code SPLITGUARD_STREAMS_} pass through as Streams settings
     * ({@code SPLITGUARD_STREAMS_NUM_STANDBY_REPLICAS} becomes {@code num.standby.replicas}).
     */
    public static DedupConfig fromEnv(Map<String, String> env, String deadLetterTopic) {
        Map<String, String> extra = new HashMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("SPLITGUARD_STREAMS_")) {
                extra.put(
                        k.substring("SPLITGUARD_STREAMS_".length())
                                .toLowerCase(java.util.Locale.ROOT)
                                .replace('_', '.'),
                        v);
            }
        });
        return new DedupConfig(
                env.getOrDefault("SPLITGUARD_DEDUP_APPLICATION_ID", DEFAULT_APPLICATION_ID),
                env.getOrDefault("SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
                Duration.parse(env.getOrDefault("SPLITGUARD_DEDUP_WINDOW", "PT24H")),
                Path.of(env.getOrDefault(
                        "SPLITGUARD_STATE_DIR", System.getProperty("java.io.tmpdir") + "/splitguard-streams")),
                Integer.parseInt(env.getOrDefault("SPLITGUARD_STREAM_THREADS", "1")),
                Integer.parseInt(env.getOrDefault("SPLITGUARD_STANDBY_REPLICAS", "0")),
                Duration.ofMillis(Long.parseLong(env.getOrDefault("SPLITGUARD_COMMIT_INTERVAL_MS", "100"))),
                deadLetterTopic,
                extra);
    }
}
