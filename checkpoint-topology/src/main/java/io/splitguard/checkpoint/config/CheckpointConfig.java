package io.splitguard.checkpoint.config;

import io.splitguard.health.HealthSettings;
import io.splitguard.schemas.checkpoint.TransientVariables;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.config.Settings;
import io.splitguard.schemas.model.CheckpointRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndFailExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;

/**
 * Settings of the checkpoint topology, validated on construction.
 *
 * @param applicationId Kafka Streams application id: consumer group, changelog and transactional id
 *     prefix. Changing it on a running deployment forgets every stored checkpoint.
 * @param bootstrapServers Kafka bootstrap servers
 * @param stateDir where RocksDB keeps the local state
 * @param streamThreads stream threads in this instance
 * @param standbyReplicas warm copies of the store on other instances (faster failover, and reads during
 *     a rebalance)
 * @param commitInterval how often transactions commit; bounds how soon an accepted checkpoint is visible
 * @param deadLetterTopic where the processor sends proven poison, with the error in headers
 * @param extra further Streams/client settings, passed through as they are
 * @param purgeInterval how often (wall clock) expired checkpoints are purged
 * @param maxTtl the longest TTL a checkpoint gets; longer requests are capped (the stored {@code
 *     ttl_seconds} says what was applied)
 * @param excludedVariables top-level variables never stored (transient UI/IVR state)
 * @param applicationServer {@code host:port} this instance answers interactive queries on, or empty
 */
public record CheckpointConfig(
        String applicationId,
        String bootstrapServers,
        Path stateDir,
        int streamThreads,
        int standbyReplicas,
        Duration commitInterval,
        String deadLetterTopic,
        Map<String, String> extra,
        Duration purgeInterval,
        Duration maxTtl,
        List<String> excludedVariables,
        String applicationServer) {

    public static final String DEFAULT_APPLICATION_ID = "splitguard-checkpoint";
    public static final Duration DEFAULT_PURGE_INTERVAL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_MAX_TTL = Duration.ofDays(1);

    /** Settings the exactly-once guarantee depends on; pass-through settings may not change them. */
    static final Set<String> GUARDED = Set.of(
            StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
            StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
            StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
            StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
            StreamsConfig.APPLICATION_SERVER_CONFIG,
            StreamsConfig.TRANSACTIONAL_STATE_STORES_CONFIG,
            StreamsConfig.DEFAULT_INTERACTIVE_QUERY_ISOLATION_LEVEL_CONFIG,
            StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG),
            StreamsConfig.producerPrefix(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG),
            StreamsConfig.consumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG),
            StreamsConfig.consumerPrefix(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG),
            ProducerConfig.ACKS_CONFIG,
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG);

    public CheckpointConfig {
        Objects.requireNonNull(applicationId, "applicationId");
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(commitInterval, "commitInterval");
        Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
        Objects.requireNonNull(purgeInterval, "purgeInterval");
        Objects.requireNonNull(maxTtl, "maxTtl");
        Objects.requireNonNull(applicationServer, "applicationServer");
        if (streamThreads < 1) {
            throw new IllegalArgumentException("streamThreads must be >= 1");
        }
        if (standbyReplicas < 0) {
            throw new IllegalArgumentException("standbyReplicas must be >= 0");
        }
        if (purgeInterval.isNegative() || purgeInterval.isZero()) {
            throw new IllegalArgumentException("purgeInterval must be positive");
        }
        if (maxTtl.toSeconds() < CheckpointRequest.MIN_TTL_SECONDS
                || maxTtl.toSeconds() > CheckpointRequest.MAX_TTL_SECONDS) {
            throw new IllegalArgumentException("maxTtl must be within 1 s .. 7 days, was " + maxTtl);
        }
        extra = Map.copyOf(extra);
        excludedVariables = List.copyOf(excludedVariables);
    }

    /** The Kafka Streams properties: exactly-once v2, explicit error handlers, the IQ endpoint if set. */
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
        if (!applicationServer.isBlank()) {
            p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServer);
        }
        // Changelog records carry the store's position (input offsets), so a restored or standby copy
        // knows which checkpoints-in offsets it reflects: read-your-writes position bounds hold on any copy.
        p.put(StreamsConfig.InternalConfig.IQ_CONSISTENCY_OFFSET_VECTOR_ENABLED, true);
        // Interactive queries see committed state only: a store write is otherwise visible before its
        // transaction commits, and a checkpoint served from it is gone again if the transaction aborts
        // (a broker kill, a fenced instance) until its input is processed anew, so a later read would
        // regress. The chaos checker caught "none" served after a checkpoint had been.
        p.put(StreamsConfig.TRANSACTIONAL_STATE_STORES_CONFIG, true);
        p.put(StreamsConfig.DEFAULT_INTERACTIVE_QUERY_ISOLATION_LEVEL_CONFIG, "READ_COMMITTED");
        // The source reads raw bytes (String keys, byte[] values), which cannot fail to deserialize; the
        // processor decodes them and dead-letters what is proven poison itself, with the reason in headers.
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailExceptionHandler.class);
        // Anything else thrown while processing (a RocksDB error, a bug) fails the task: the thread is
        // replaced and the task resumes from its last committed transaction, skipping nothing.
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailProcessingExceptionHandler.class);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG), "all");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        extra.forEach((key, value) -> {
            if (GUARDED.contains(key)) {
                throw new IllegalArgumentException("setting '" + key + "' cannot be overridden: SplitGuard's"
                        + " exactly-once guarantee (or the configured query endpoint) depends on it");
            }
            p.put(key, value);
        });
        Properties props = new Properties();
        props.putAll(p);
        return props;
    }

    public static final String APPLICATION_ID = "SPLITGUARD_CHECKPOINT_APPLICATION_ID";
    /** The same process-level names as the dedup topology's: one meaning in every Streams process. */
    public static final String STATE_DIR = "SPLITGUARD_STATE_DIR";

    public static final String STREAM_THREADS = "SPLITGUARD_STREAM_THREADS";
    public static final String STANDBY_REPLICAS = "SPLITGUARD_STANDBY_REPLICAS";
    public static final String COMMIT_INTERVAL_MS = "SPLITGUARD_COMMIT_INTERVAL_MS";
    public static final String MANAGEMENT_PORT = "SPLITGUARD_MANAGEMENT_PORT";
    public static final String PURGE_INTERVAL = "SPLITGUARD_CHECKPOINT_PURGE_INTERVAL";
    public static final String MAX_TTL = "SPLITGUARD_CHECKPOINT_MAX_TTL";
    public static final String EXCLUDED_VARIABLES = "SPLITGUARD_CHECKPOINT_EXCLUDED_VARIABLES";
    public static final String APPLICATION_SERVER = "SPLITGUARD_CHECKPOINT_APPLICATION_SERVER";
    public static final String QUERY_MAX_WAIT = "SPLITGUARD_CHECKPOINT_QUERY_MAX_WAIT";
    public static final String STANDBY_MAX_LAG = "SPLITGUARD_CHECKPOINT_STANDBY_MAX_LAG";
    /** {@code SPLITGUARD_STREAMS_NUM_STANDBY_REPLICAS=1} sets the Streams setting {@code num.standby.replicas}. */
    public static final String STREAMS_PREFIX = "SPLITGUARD_STREAMS_";

    /**
     * The topology's settings (with the common ones and the health ones, {@link HealthSettings}), each
     * with its type, default, validator and doc.
     */
    public static final ConfigDef DEFINITION = HealthSettings.addTo(new ConfigDef(CommonSettings.DEFINITION)
            .define(
                    APPLICATION_ID,
                    Type.STRING,
                    DEFAULT_APPLICATION_ID,
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "Kafka Streams application id of the checkpoint topology: consumer group, changelog and"
                            + " transactional id prefix. Must agree across its instances; changing it forgets every"
                            + " stored checkpoint.")
            .define(
                    STATE_DIR,
                    Type.STRING,
                    "",
                    Importance.HIGH,
                    "Where RocksDB keeps the local state; on a persistent volume in production. Unset:"
                            + " splitguard-streams in the JVM's temporary directory.")
            .define(
                    STREAM_THREADS,
                    Type.INT,
                    1,
                    ConfigDef.Range.atLeast(1),
                    Importance.MEDIUM,
                    "Stream threads in this instance.")
            .define(
                    STANDBY_REPLICAS,
                    Type.INT,
                    0,
                    ConfigDef.Range.atLeast(0),
                    Importance.MEDIUM,
                    "Warm copies of each store on other instances (faster failover, reads during a rebalance); 1"
                            + " in production.")
            .define(
                    COMMIT_INTERVAL_MS,
                    Type.INT,
                    100,
                    ConfigDef.Range.atLeast(1),
                    Importance.MEDIUM,
                    "How often transactions commit (ms); bounds end-to-end latency under exactly-once.")
            .define(
                    PURGE_INTERVAL,
                    Type.STRING,
                    DEFAULT_PURGE_INTERVAL.toString(),
                    Settings.positiveDuration(),
                    Importance.LOW,
                    "How often (wall clock) expired checkpoints are deleted from the store, its changelog and the"
                            + " checkpoints topic (tombstones); each run looks at a bounded slice of the store."
                            + " Expired checkpoints count as absent before that.")
            .define(
                    MAX_TTL,
                    Type.STRING,
                    DEFAULT_MAX_TTL.toString(),
                    maxTtlValidator(),
                    Importance.MEDIUM,
                    "The longest TTL a checkpoint gets (at most P7D); a longer ttl_seconds is capped to it. TTLs run"
                            + " on the checkpoint topology's clock from when it stores the checkpoint.")
            .define(
                    EXCLUDED_VARIABLES,
                    Type.LIST,
                    String.join(",", TransientVariables.DEFAULTS),
                    Importance.MEDIUM,
                    "Top-level checkpoint variables never stored (transient IVR and UI state), comma-separated;"
                            + " exact names.")
            .define(
                    APPLICATION_SERVER,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "host:port where this instance answers interactive queries of the latest-checkpoints store"
                            + " (Streams' application.server): the management port, which serves GET"
                            + " /internal/checkpoints/{session_id}; other instances forward reads of sessions this"
                            + " instance owns to it. Empty: a single instance that never forwards.")
            .define(
                    QUERY_MAX_WAIT,
                    Type.STRING,
                    "PT2S",
                    Settings.positiveDuration(),
                    Importance.LOW,
                    "How long a read with min_offset (read-your-writes) waits for the store to reach that"
                            + " checkpoints-in offset before answering 503.")
            .define(
                    STANDBY_MAX_LAG,
                    Type.LONG,
                    0L,
                    ConfigDef.Range.atLeast(0),
                    Importance.LOW,
                    "Largest offset lag of a standby copy that may answer a read when the owner of the"
                            + " session's partition cannot (during a rebalance or after it died). 0: only a copy"
                            + " that has caught up with the changelog answers. A copy with any lag may serve an"
                            + " older checkpoint than one already served (a restored copy reads the changelog"
                            + " from its start), so a larger bound trades never-regress for availability.")
            .define(
                    MANAGEMENT_PORT,
                    Type.INT,
                    8083,
                    ConfigDef.Range.between(0, 65535),
                    Importance.MEDIUM,
                    "Port of /health, /health/live, /health/ready, /metrics (Prometheus) and the checkpoint"
                            + " queries (/internal/checkpoints/{session_id}) of the process."));

    private static ConfigDef.Validator maxTtlValidator() {
        ConfigDef.Validator positive = Settings.positiveDuration();
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(String name, Object value) {
                positive.ensureValid(name, value);
                Duration d = Settings.duration(value);
                if (d.toSeconds() < CheckpointRequest.MIN_TTL_SECONDS
                        || d.toSeconds() > CheckpointRequest.MAX_TTL_SECONDS) {
                    throw new org.apache.kafka.common.config.ConfigException(name, value, "must be within PT1S .. P7D");
                }
            }

            @Override
            public String toString() {
                return "a duration from PT1S to P7D";
            }
        };
    }

    private static Path stateDir(String configured) {
        return configured.isBlank()
                ? Path.of(System.getProperty("java.io.tmpdir"), "splitguard-streams")
                : Path.of(configured);
    }

    /**
     * The settings {@link #DEFINITION} names, from environment-style keys; keys starting with
     * {@link #STREAMS_PREFIX} pass through as Streams settings (those the guarantees depend on are
     * refused by {@link #streamsProperties()}).
     */
    @SuppressWarnings("unchecked")
    public static CheckpointConfig fromEnv(Map<String, String> env, String deadLetterTopic) {
        Map<String, Object> v = Settings.parse(DEFINITION, env);
        return new CheckpointConfig(
                (String) v.get(APPLICATION_ID),
                (String) v.get(CommonSettings.BOOTSTRAP_SERVERS),
                stateDir((String) v.get(STATE_DIR)),
                (Integer) v.get(STREAM_THREADS),
                (Integer) v.get(STANDBY_REPLICAS),
                Duration.ofMillis((Integer) v.get(COMMIT_INTERVAL_MS)),
                deadLetterTopic,
                Settings.passThrough(env, STREAMS_PREFIX),
                Settings.duration(v.get(PURGE_INTERVAL)),
                Settings.duration(v.get(MAX_TTL)),
                ((List<String>) v.get(EXCLUDED_VARIABLES))
                        .stream().map(String::trim).filter(s -> !s.isEmpty()).toList(),
                ((String) v.get(APPLICATION_SERVER)).trim());
    }
}
