package io.splitguard.schemas.config;

import java.time.Duration;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Settings every service reads, with the same name and meaning everywhere. Those marked "must agree"
 * must have the same value in every instance of every service of one deployment.
 */
public final class CommonSettings {

    public static final String BOOTSTRAP_SERVERS = "SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS";
    public static final String TOPIC_PREFIX = "SPLITGUARD_TOPIC_PREFIX";
    public static final String SESSION_PARTITIONS = "SPLITGUARD_SESSION_PARTITIONS";
    public static final String REPLICATION_FACTOR = "SPLITGUARD_REPLICATION_FACTOR";
    public static final String MIN_INSYNC_REPLICAS = "SPLITGUARD_MIN_INSYNC_REPLICAS";
    public static final String DEDUP_WINDOW = "SPLITGUARD_DEDUP_WINDOW";
    public static final String ALLOW_REDUCED_DURABILITY = "SPLITGUARD_ALLOW_REDUCED_DURABILITY";
    public static final String REPLAY_HORIZON = "SPLITGUARD_REPLAY_HORIZON";

    /** The value of {@link #REPLAY_HORIZON} that keeps the mutations topic forever. */
    public static final String UNBOUNDED = "unbounded";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(
                    BOOTSTRAP_SERVERS,
                    Type.STRING,
                    "localhost:9092",
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "Kafka bootstrap servers (host:port,...).")
            .define(
                    TOPIC_PREFIX,
                    Type.STRING,
                    "splitguard.",
                    Importance.HIGH,
                    "Prefix of every topic name. Must agree across all services.")
            .define(
                    SESSION_PARTITIONS,
                    Type.INT,
                    12,
                    Range.atLeast(1),
                    Importance.HIGH,
                    "Partitions of every session-keyed topic (they must stay co-partitioned). Must agree across"
                            + " all services; never change it on a running deployment.")
            .define(
                    REPLICATION_FACTOR,
                    Type.INT,
                    1,
                    Range.between(1, Short.MAX_VALUE),
                    Importance.HIGH,
                    "Replication factor of the topics created. A service started on its own refuses less than 3"
                            + " unless " + ALLOW_REDUCED_DURABILITY + " is true.")
            .define(
                    MIN_INSYNC_REPLICAS,
                    Type.INT,
                    1,
                    Range.atLeast(1),
                    Importance.HIGH,
                    "min.insync.replicas of the topics created. A service started on its own refuses less than 2"
                            + " unless " + ALLOW_REDUCED_DURABILITY + " is true.")
            .define(
                    DEDUP_WINDOW,
                    Type.STRING,
                    "PT24H",
                    Settings.positiveDuration(),
                    Importance.HIGH,
                    "How long an idempotency key is remembered, on the topology's own clock (never a sender's)."
                            + " Must agree across all services.")
            .define(
                    ALLOW_REDUCED_DURABILITY,
                    Type.BOOLEAN,
                    false,
                    Importance.MEDIUM,
                    "Lets a service start below replication factor 3 / min ISR 2 (a single-broker test cluster);"
                            + " it logs a warning. The local launcher needs no flag.")
            .define(
                    REPLAY_HORIZON,
                    Type.STRING,
                    UNBOUNDED,
                    replayHorizonValidator(),
                    Importance.HIGH,
                    "Retention of the mutations topic, the source the database is rebuilt and verified from (admin"
                            + " replay). '" + UNBOUNDED + "' keeps it forever, so the whole database stays"
                            + " rebuildable; a duration bounds replay to that much history. Applied when the topic is"
                            + " created; must agree across all services.");

    /**
     * The retention of the mutations topic that {@link #REPLAY_HORIZON} asks for: empty when unbounded.
     */
    public static Optional<Duration> replayHorizon(Object value) {
        String text = String.valueOf(value).trim();
        return UNBOUNDED.equalsIgnoreCase(text) ? Optional.empty() : Optional.of(Settings.duration(text));
    }

    private static ConfigDef.Validator replayHorizonValidator() {
        ConfigDef.Validator duration = Settings.positiveDuration();
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(String name, Object value) {
                if (value != null
                        && UNBOUNDED.equalsIgnoreCase(String.valueOf(value).trim())) {
                    return;
                }
                duration.ensureValid(name, value);
            }

            @Override
            public String toString() {
                return "'" + UNBOUNDED + "' or " + duration;
            }
        };
    }

    private CommonSettings() {}
}
