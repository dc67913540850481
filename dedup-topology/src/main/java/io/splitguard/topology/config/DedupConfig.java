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
import org.apache.kafka.streams.errors.LogAndFailExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;

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
 * @param deadLetterTopic where the processor sends proven poison, with the error in headers (Streams' own
 *     dead-letter setting stays off: a processing error that is not poison fails the task instead)
 * @param extra further Streams/client settings, passed through as they are
 * @param instanceClockSkew how far the wall clocks of the topology instances may disagree. The dedup
 *     window runs on the processing instance's clock (never a sender's); keys are looked up this much
 *     beyond the window so a failover to an instance whose clock is behind or ahead forgets nothing early.
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
        Map<String, String> extra,
        Duration instanceClockSkew,
        Duration sessionIdleHorizon,
        Duration sessionPurgeInterval) {

    public static final String DEFAULT_APPLICATION_ID = "splitguard-dedup";

    /** Settings the exactly-once guarantee depends on; pass-through settings may not change them. */
    static final java.util.Set<String> GUARDED = java.util.Set.of(
            StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
            StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
            StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
            StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
            StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG),
            StreamsConfig.producerPrefix(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG),
            StreamsConfig.consumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG),
            StreamsConfig.consumerPrefix(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG),
            ProducerConfig.ACKS_CONFIG,
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG);

    /** The default bound on clock disagreement between topology instances (NTP-synchronized hosts). */
    public static final Duration DEFAULT_INSTANCE_CLOCK_SKEW = Duration.ofMinutes(5);

    /** How long a session may stay idle before its sequence is purged (and restarts in a new epoch). */
    public static final Duration DEFAULT_SESSION_IDLE_HORIZON = Duration.ofDays(2);

    public static final Duration DEFAULT_SESSION_PURGE_INTERVAL = Duration.ofMinutes(1);

    /** With the default idle horizon and purge interval. */
    public DedupConfig(
            String applicationId,
            String bootstrapServers,
            Duration dedupWindow,
            Path stateDir,
            int streamThreads,
            int standbyReplicas,
            Duration commitInterval,
            String deadLetterTopic,
            Map<String, String> extra,
            Duration instanceClockSkew) {
        this(
                applicationId,
                bootstrapServers,
                dedupWindow,
                stateDir,
                streamThreads,
                standbyReplicas,
                commitInterval,
                deadLetterTopic,
                extra,
                instanceClockSkew,
                DEFAULT_SESSION_IDLE_HORIZON,
                DEFAULT_SESSION_PURGE_INTERVAL);
    }

    /** With the default instance clock skew bound. */
    public DedupConfig(
            String applicationId,
            String bootstrapServers,
            Duration dedupWindow,
            Path stateDir,
            int streamThreads,
            int standbyReplicas,
            Duration commitInterval,
            String deadLetterTopic,
            Map<String, String> extra) {
        this(
                applicationId,
                bootstrapServers,
                dedupWindow,
                stateDir,
                streamThreads,
                standbyReplicas,
                commitInterval,
                deadLetterTopic,
                extra,
                DEFAULT_INSTANCE_CLOCK_SKEW);
    }

    public DedupConfig {
        Objects.requireNonNull(applicationId, "applicationId");
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(dedupWindow, "dedupWindow");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(commitInterval, "commitInterval");
        Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
        Objects.requireNonNull(instanceClockSkew, "instanceClockSkew");
        if (instanceClockSkew.isNegative()) {
            throw new IllegalArgumentException("instanceClockSkew must not be negative");
        }
        Objects.requireNonNull(sessionIdleHorizon, "sessionIdleHorizon");
        Objects.requireNonNull(sessionPurgeInterval, "sessionPurgeInterval");
        if (sessionIdleHorizon.compareTo(instanceClockSkew.multipliedBy(2)) <= 0) {
            throw new IllegalArgumentException("sessionIdleHorizon (" + sessionIdleHorizon
                    + ") must exceed twice instanceClockSkew (" + instanceClockSkew
                    + "), or a purged session's new epoch could sort before its old one");
        }
        if (sessionPurgeInterval.isNegative() || sessionPurgeInterval.isZero()) {
            throw new IllegalArgumentException("sessionPurgeInterval must be positive");
        }
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
        // The source reads raw bytes (String keys, byte[] values), which cannot fail to deserialize; the
        // processor decodes them and dead-letters what is proven poison itself, with the reason in headers.
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailExceptionHandler.class);
        // Only proven poison may be skipped, and the processor dead-letters that itself. Anything else
        // thrown while processing (a RocksDB I/O or disk-full error, a bug) fails the task: the thread is
        // replaced and the task resumes from its last committed transaction, skipping nothing.
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailProcessingExceptionHandler.class);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG), "all");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        extra.forEach((key, value) -> {
            if (GUARDED.contains(key)) {
                throw new IllegalArgumentException("setting '" + key + "' cannot be overridden: SplitGuard's"
                        + " exactly-once guarantee depends on it (it is always "
                        + p.get(key) + ")");
            }
            p.put(key, value);
        });
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
                duration(env, "SPLITGUARD_DEDUP_WINDOW", "PT24H"),
                Path.of(env.getOrDefault(
                        "SPLITGUARD_STATE_DIR", System.getProperty("java.io.tmpdir") + "/splitguard-streams")),
                integer(env, "SPLITGUARD_STREAM_THREADS", "1"),
                integer(env, "SPLITGUARD_STANDBY_REPLICAS", "0"),
                Duration.ofMillis(integer(env, "SPLITGUARD_COMMIT_INTERVAL_MS", "100")),
                deadLetterTopic,
                extra,
                duration(env, "SPLITGUARD_DEDUP_INSTANCE_CLOCK_SKEW", DEFAULT_INSTANCE_CLOCK_SKEW.toString()),
                duration(env, "SPLITGUARD_DEDUP_SESSION_IDLE_HORIZON", DEFAULT_SESSION_IDLE_HORIZON.toString()),
                duration(env, "SPLITGUARD_DEDUP_SESSION_PURGE_INTERVAL", DEFAULT_SESSION_PURGE_INTERVAL.toString()));
    }

    private static int integer(Map<String, String> env, String key, String fallback) {
        String value = env.getOrDefault(key, fallback);
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, got '" + value + "'", e);
        }
    }

    private static Duration duration(Map<String, String> env, String key, String fallback) {
        String value = env.getOrDefault(key, fallback);
        try {
            return Duration.parse(value.trim());
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException(
                    key + " must be an ISO-8601 duration such as PT24H, got '" + value + "'", e);
        }
    }
}
