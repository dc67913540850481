package io.splitguard.topology.config;

import io.splitguard.health.HealthSettings;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.config.Settings;
import io.splitguard.topology.processor.LeaseRules;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
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
 * @param leases how the lease processor decides: stale threshold, lock-delay, max TTL, sweep interval
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
        Duration sessionPurgeInterval,
        LeaseRules leases) {

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
        Objects.requireNonNull(leases, "leases");
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

    public static final String APPLICATION_ID = "SPLITGUARD_DEDUP_APPLICATION_ID";
    public static final String STATE_DIR = "SPLITGUARD_STATE_DIR";
    public static final String STREAM_THREADS = "SPLITGUARD_STREAM_THREADS";
    public static final String STANDBY_REPLICAS = "SPLITGUARD_STANDBY_REPLICAS";
    public static final String COMMIT_INTERVAL_MS = "SPLITGUARD_COMMIT_INTERVAL_MS";
    public static final String INSTANCE_CLOCK_SKEW = "SPLITGUARD_DEDUP_INSTANCE_CLOCK_SKEW";
    public static final String SESSION_IDLE_HORIZON = "SPLITGUARD_DEDUP_SESSION_IDLE_HORIZON";
    public static final String SESSION_PURGE_INTERVAL = "SPLITGUARD_DEDUP_SESSION_PURGE_INTERVAL";
    public static final String LEASE_STALE_THRESHOLD = "SPLITGUARD_LEASE_STALE_THRESHOLD";
    public static final String LEASE_LOCK_DELAY = "SPLITGUARD_LEASE_LOCK_DELAY";
    public static final String LEASE_MAX_TTL = "SPLITGUARD_LEASE_MAX_TTL";
    public static final String LEASE_PURGE_INTERVAL = "SPLITGUARD_LEASE_PURGE_INTERVAL";
    public static final String LEASE_FENCE_RETENTION = "SPLITGUARD_LEASE_FENCE_RETENTION";
    public static final String MANAGEMENT_PORT = "SPLITGUARD_MANAGEMENT_PORT";
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
                    "Kafka Streams application id: consumer group, changelog and transactional id prefix. Must agree"
                            + " across topology instances; changing it forgets every remembered key.")
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
                    "Warm copies of each store on other instances (faster failover); 1 in production.")
            .define(
                    COMMIT_INTERVAL_MS,
                    Type.INT,
                    100,
                    ConfigDef.Range.atLeast(1),
                    Importance.MEDIUM,
                    "How often transactions commit (ms); bounds end-to-end latency under exactly-once.")
            .define(
                    INSTANCE_CLOCK_SKEW,
                    Type.STRING,
                    DEFAULT_INSTANCE_CLOCK_SKEW.toString(),
                    Settings.nonNegativeDuration(),
                    Importance.MEDIUM,
                    "How far the wall clocks of topology instances may disagree; keys are looked up this far beyond"
                            + " the window and the key store keeps window + 2 x skew.")
            .define(
                    SESSION_IDLE_HORIZON,
                    Type.STRING,
                    "P2D",
                    Settings.positiveDuration(),
                    Importance.MEDIUM,
                    "A session with no mutation applied for this long is purged from the sequence store; written"
                            + " again, it starts a new epoch at sequence 1. Must exceed twice the instance clock skew.")
            .define(
                    SESSION_PURGE_INTERVAL,
                    Type.STRING,
                    DEFAULT_SESSION_PURGE_INTERVAL.toString(),
                    Settings.positiveDuration(),
                    Importance.LOW,
                    "How often the purge of idle sessions runs (wall clock).")
            .define(
                    LEASE_STALE_THRESHOLD,
                    Type.STRING,
                    LeaseRules.DEFAULT_STALE_THRESHOLD.toString(),
                    Settings.positiveDuration(),
                    Importance.MEDIUM,
                    "A lease whose holder has not heartbeated for this long (the deciding instance's clock) may be"
                            + " overridden by another region's acquire. Holders heartbeat every third of it.")
            .define(
                    LEASE_LOCK_DELAY,
                    Type.STRING,
                    LeaseRules.DEFAULT_LOCK_DELAY.toString(),
                    Settings.nonNegativeDuration(),
                    Importance.MEDIUM,
                    "After a lease ends by expiry or override, nothing is granted on the resource for this long, so"
                            + " the previous holder's work in flight can drain; a release frees at once. PT0S: off.")
            .define(
                    LEASE_FENCE_RETENTION,
                    Type.STRING,
                    LeaseRules.DEFAULT_FENCE_RETENTION.toString(),
                    Settings.nonNegativeDuration(),
                    Importance.MEDIUM,
                    "How long a resource's latest fencing token is remembered after its lease ended (released, or"
                            + " its lock-delay over): all that time a CRM update carrying an older token is fenced,"
                            + " though nobody holds the lease. The lease store then holds one small entry per"
                            + " resource leased within this time. PT0S: forget the token when the lease ends.")
            .define(
                    LEASE_MAX_TTL,
                    Type.STRING,
                    LeaseRules.DEFAULT_MAX_TTL.toString(),
                    Settings.positiveDuration(),
                    Importance.LOW,
                    "The longest lease granted (1 s to 10 min); a longer lock_ttl_ms is cut to it.")
            .define(
                    LEASE_PURGE_INTERVAL,
                    Type.STRING,
                    LeaseRules.DEFAULT_PURGE_INTERVAL.toString(),
                    Settings.positiveDuration(),
                    Importance.LOW,
                    "How often (wall clock) expired leases are freed, audited and purged from the lease store"
                            + " without any request. A lease is over at its expiry either way.")
            .define(
                    MANAGEMENT_PORT,
                    Type.INT,
                    8081,
                    ConfigDef.Range.between(0, 65535),
                    Importance.MEDIUM,
                    "Port of /health, /health/live, /health/ready and /metrics (Prometheus) of the topology"
                            + " process."));

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
    public static DedupConfig fromEnv(Map<String, String> env, String deadLetterTopic) {
        Map<String, Object> v = Settings.parse(DEFINITION, env);
        return new DedupConfig(
                (String) v.get(APPLICATION_ID),
                (String) v.get(CommonSettings.BOOTSTRAP_SERVERS),
                Settings.duration(v.get(CommonSettings.DEDUP_WINDOW)),
                stateDir((String) v.get(STATE_DIR)),
                (Integer) v.get(STREAM_THREADS),
                (Integer) v.get(STANDBY_REPLICAS),
                Duration.ofMillis((Integer) v.get(COMMIT_INTERVAL_MS)),
                deadLetterTopic,
                Settings.passThrough(env, STREAMS_PREFIX),
                Settings.duration(v.get(INSTANCE_CLOCK_SKEW)),
                Settings.duration(v.get(SESSION_IDLE_HORIZON)),
                Settings.duration(v.get(SESSION_PURGE_INTERVAL)),
                new LeaseRules(
                        Settings.duration(v.get(LEASE_STALE_THRESHOLD)),
                        Settings.duration(v.get(LEASE_LOCK_DELAY)),
                        Settings.duration(v.get(LEASE_MAX_TTL)),
                        Settings.duration(v.get(LEASE_PURGE_INTERVAL)),
                        Settings.duration(v.get(LEASE_FENCE_RETENTION))));
    }
}
