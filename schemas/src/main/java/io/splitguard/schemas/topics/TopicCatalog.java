package io.splitguard.schemas.topics;

import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.config.Settings;
import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.json.SchemaId;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.CheckpointRequest;
import io.splitguard.schemas.model.FailoverDecision;
import io.splitguard.schemas.model.IdempotencyOutcome;
import io.splitguard.schemas.model.LeaseCommand;
import io.splitguard.schemas.model.LeaseDecision;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.model.RegionVote;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.model.StoredCheckpoint;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every topic SplitGuard reads or writes. All session-keyed topics share one partition count, so a
 * session's records land on the same partition number everywhere (co-partitioning), which is what
 * makes one Streams task the single writer of a session.
 *
 * <p>The partition count must never change on a running deployment: it would move sessions between
 * partitions and break both ordering and the dedup store's locality.
 *
 * <p>The two region topics ({@link #regionHealth}, {@link #failoverDecisions}) are not session-keyed:
 * they have one partition each, so one task sees every region's vote in order and decides alone.
 */
public final class TopicCatalog {

    public static final String DEFAULT_PREFIX = "splitguard.";

    /** The durability a service started on its own requires, unless {@link #ENV_ALLOW_REDUCED_DURABILITY}. */
    public static final int REQUIRED_REPLICATION_FACTOR = 3;

    public static final int REQUIRED_MIN_INSYNC_REPLICAS = 2;

    /**
     * {@code true} lets a service start with fewer replicas or a lower min ISR than required (a
     * single-broker test or development cluster); it logs a warning. The local launcher needs no flag.
     */
    public static final String ENV_ALLOW_REDUCED_DURABILITY = CommonSettings.ALLOW_REDUCED_DURABILITY;

    private final String prefix;
    private final int sessionPartitions;
    private final short replicationFactor;
    private final int minInSyncReplicas;
    private final Duration dedupWindow;
    private final Optional<Duration> replayHorizon;

    public final Topic<String, MutationRequest> mutationsIn;
    public final Topic<String, SequencedMutation> mutations;
    public final Topic<String, IdempotencyOutcome> idempotencyOutcomes;
    public final Topic<String, AuditRecord> audit;
    public final Topic<String, CheckpointRequest> checkpointsIn;
    public final Topic<String, StoredCheckpoint> checkpoints;
    public final Topic<byte[], byte[]> deadLetters;

    /**
     * Lease commands the gateway accepted (acquire, heartbeat, release), key = resource id.
     * Co-partitioned with the session topics, so a session's lease (resource id = session id) is
     * decided by the task that also owns the session's mutations. Broker-stamped like mutations-in.
     * The offset of a granting command (+1) is the lease's fencing token, so this topic's offsets are part
     * of the contract: never delete and re-create it on a running deployment.
     */
    public final Topic<String, LeaseCommand> leaseCommands;

    /**
     * The owner's decision on each lease command, key = resource id, matched to the waiting request by
     * its request id. A reply channel only: kept one hour.
     */
    public final Topic<String, LeaseDecision> leaseDecisions;

    /**
     * Each region's latest health vote, key = region id. Compacted: a reader that starts late finds
     * every region's last vote and nothing older. The broker stamps the records
     * ({@code LogAppendTime}), so a vote's age comes from the cluster's clock and the reader's, never
     * from a voter's.
     */
    public final Topic<String, RegionVote> regionHealth;

    /**
     * The quorum topology's failover decisions, all under key {@value FailoverDecision#KEY}.
     * Compacted, so the current primary and its epoch are never deleted however long no failover
     * happens (a delete policy would eventually lose the latest decision and with it the epoch a new
     * reader must continue from); {@code min.compaction.lag.ms} of 7 days keeps every decision of the
     * last week readable as history, for audits and the chaos checkers (epochs strictly increasing,
     * one primary per epoch). The topic is tiny: one record per failover.
     */
    public final Topic<String, FailoverDecision> failoverDecisions;

    private TopicCatalog(Builder b) {
        this.prefix = b.prefix;
        this.sessionPartitions = b.sessionPartitions;
        this.replicationFactor = b.replicationFactor;
        this.minInSyncReplicas = b.minInSyncReplicas;
        this.dedupWindow = b.dedupWindow;
        this.replayHorizon = b.replayHorizon;

        long week = Duration.ofDays(7).toMillis();
        long dedupPlusDay = dedupWindow.plusDays(1).toMillis();
        // The broker stamps what the gateways write: a gateway's clock decides neither retention nor, with
        // CreateTime's timestamp bounds, whether a write is refused.
        Map<String, String> mutationsInConfigs = new HashMap<>(retention(week));
        mutationsInConfigs.put(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime");
        this.mutationsIn = session(
                "mutations-in", mutationsInConfigs, JsonSerde.of(MutationRequest.class, SchemaId.MUTATION_REQUEST));
        // the source the database is rebuilt from: kept for the replay horizon (forever by default)
        this.mutations = session(
                "mutations",
                retention(replayHorizon.map(Duration::toMillis).orElse(-1L)),
                JsonSerde.of(SequencedMutation.class, SchemaId.SEQUENCED_MUTATION));
        this.idempotencyOutcomes = session(
                "idempotency-outcomes",
                Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG,
                        TopicConfig.CLEANUP_POLICY_COMPACT + "," + TopicConfig.CLEANUP_POLICY_DELETE,
                        TopicConfig.RETENTION_MS_CONFIG,
                        Long.toString(dedupPlusDay)),
                JsonSerde.of(IdempotencyOutcome.class, SchemaId.IDEMPOTENCY_OUTCOME));
        this.audit = session(
                "audit",
                retention(Duration.ofDays(90).toMillis()),
                JsonSerde.of(AuditRecord.class, SchemaId.AUDIT_RECORD));
        // Checkpoints the gateway accepted; broker-stamped like mutations-in, so no gateway clock matters.
        Map<String, String> checkpointsInConfigs = new HashMap<>(retention(week));
        checkpointsInConfigs.put(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime");
        this.checkpointsIn = session(
                "checkpoints-in",
                checkpointsInConfigs,
                JsonSerde.of(CheckpointRequest.class, SchemaId.CHECKPOINT_REQUEST));
        // The latest checkpoint per session; expiry writes a tombstone, which compaction removes after a day.
        this.checkpoints = session(
                "checkpoints",
                Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG,
                        TopicConfig.CLEANUP_POLICY_COMPACT,
                        TopicConfig.DELETE_RETENTION_MS_CONFIG,
                        Long.toString(Duration.ofDays(1).toMillis())),
                JsonSerde.of(StoredCheckpoint.class, SchemaId.STORED_CHECKPOINT));
        Map<String, String> leaseCommandsConfigs = new HashMap<>(retention(week));
        leaseCommandsConfigs.put(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime");
        this.leaseCommands = session(
                "lease-commands", leaseCommandsConfigs, JsonSerde.of(LeaseCommand.class, SchemaId.LEASE_COMMAND));
        this.leaseDecisions = session(
                "lease-decisions",
                retention(Duration.ofHours(1).toMillis()),
                JsonSerde.of(LeaseDecision.class, SchemaId.LEASE_DECISION));
        this.deadLetters = new Topic<>(
                prefix + "dead-letters",
                sessionPartitions,
                replicationFactor,
                withIsr(retention(Duration.ofDays(30).toMillis())),
                Serdes.ByteArray(),
                Serdes.ByteArray());

        Map<String, String> regionHealthConfigs = new HashMap<>(Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG,
                TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG,
                "LogAppendTime"));
        this.regionHealth =
                region("region-health", regionHealthConfigs, JsonSerde.of(RegionVote.class, SchemaId.REGION_VOTE));
        this.failoverDecisions = region(
                "failover-decisions",
                Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG,
                        TopicConfig.CLEANUP_POLICY_COMPACT,
                        TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG,
                        Long.toString(week)),
                JsonSerde.of(FailoverDecision.class, SchemaId.FAILOVER_DECISION));
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The catalog described by the common settings ({@link CommonSettings}): topic prefix, session
     * partitions, replication, dedup window. Every service of one deployment must see the same values.
     */
    public static TopicCatalog fromEnv(Map<String, String> env) {
        Map<String, Object> v = Settings.parse(CommonSettings.DEFINITION, env);
        return builder()
                .prefix((String) v.get(CommonSettings.TOPIC_PREFIX))
                .sessionPartitions((Integer) v.get(CommonSettings.SESSION_PARTITIONS))
                .replication((Integer) v.get(CommonSettings.REPLICATION_FACTOR), (Integer)
                        v.get(CommonSettings.MIN_INSYNC_REPLICAS))
                .dedupWindow(Settings.duration(v.get(CommonSettings.DEDUP_WINDOW)))
                .replayHorizon(CommonSettings.replayHorizon(v.get(CommonSettings.REPLAY_HORIZON)))
                .build();
    }

    /**
     * The catalog for a service started on its own, as in production ({@link #fromEnv}): refuses a
     * replication factor below {@value #REQUIRED_REPLICATION_FACTOR} or a {@code min.insync.replicas}
     * below {@value #REQUIRED_MIN_INSYNC_REPLICAS}, where an acknowledged write could be lost with one
     * broker, unless {@link #ENV_ALLOW_REDUCED_DURABILITY} is {@code true}.
     */
    public static TopicCatalog forService(Map<String, String> env) {
        TopicCatalog catalog = fromEnv(env);
        if (catalog.replicationFactor >= REQUIRED_REPLICATION_FACTOR
                && catalog.minInSyncReplicas >= REQUIRED_MIN_INSYNC_REPLICAS) {
            return catalog;
        }
        String found = "replication factor " + catalog.replicationFactor + " (SPLITGUARD_REPLICATION_FACTOR) and"
                + " min.insync.replicas " + catalog.minInSyncReplicas + " (SPLITGUARD_MIN_INSYNC_REPLICAS)";
        if (!Boolean.parseBoolean(
                env.getOrDefault(ENV_ALLOW_REDUCED_DURABILITY, "false").trim())) {
            throw new IllegalStateException("refusing to start with " + found + ": an acknowledged write must survive"
                    + " the loss of a broker, which needs at least " + REQUIRED_REPLICATION_FACTOR + " and "
                    + REQUIRED_MIN_INSYNC_REPLICAS + ". Set them, or set " + ENV_ALLOW_REDUCED_DURABILITY
                    + "=true for a single-broker test cluster");
        }
        org.slf4j.LoggerFactory.getLogger(TopicCatalog.class)
                .warn("running with reduced durability ({}), allowed by {}", found, ENV_ALLOW_REDUCED_DURABILITY);
        return catalog;
    }

    public short replicationFactor() {
        return replicationFactor;
    }

    public int minInSyncReplicas() {
        return minInSyncReplicas;
    }

    public static TopicCatalog defaults() {
        return builder().build();
    }

    public String prefix() {
        return prefix;
    }

    public int sessionPartitions() {
        return sessionPartitions;
    }

    public Duration dedupWindow() {
        return dedupWindow;
    }

    /** How long the mutations topic keeps records; empty when forever. */
    public Optional<Duration> replayHorizon() {
        return replayHorizon;
    }

    /** Every topic, in creation order. */
    public List<Topic<?, ?>> all() {
        return List.of(
                mutationsIn,
                mutations,
                idempotencyOutcomes,
                audit,
                checkpointsIn,
                checkpoints,
                leaseCommands,
                leaseDecisions,
                deadLetters,
                regionHealth,
                failoverDecisions);
    }

    /** The session-keyed topics, which all have {@link #sessionPartitions()} partitions. */
    public List<Topic<?, ?>> sessionTopics() {
        return List.of(
                mutationsIn,
                mutations,
                idempotencyOutcomes,
                audit,
                checkpointsIn,
                checkpoints,
                leaseCommands,
                leaseDecisions,
                deadLetters);
    }

    private <V> Topic<String, V> session(String name, Map<String, String> configs, JsonSerde<V> valueSerde) {
        return new Topic<>(
                prefix + name, sessionPartitions, replicationFactor, withIsr(configs), Serdes.String(), valueSerde);
    }

    /** A region-level topic: one partition, keyed by region (or a constant), same replication. */
    private <V> Topic<String, V> region(String name, Map<String, String> configs, JsonSerde<V> valueSerde) {
        return new Topic<>(prefix + name, 1, replicationFactor, withIsr(configs), Serdes.String(), valueSerde);
    }

    private Map<String, String> withIsr(Map<String, String> configs) {
        Map<String, String> all = new HashMap<>(configs);
        all.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(minInSyncReplicas));
        all.put(TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG, "false");
        return all;
    }

    private static Map<String, String> retention(long millis) {
        return Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG,
                TopicConfig.CLEANUP_POLICY_DELETE,
                TopicConfig.RETENTION_MS_CONFIG,
                Long.toString(millis));
    }

    public static final class Builder {
        private String prefix = DEFAULT_PREFIX;
        private int sessionPartitions = 12;
        private short replicationFactor = 1;
        private int minInSyncReplicas = 1;
        private Duration dedupWindow = Duration.ofHours(24);
        private Optional<Duration> replayHorizon = Optional.empty();

        private Builder() {}

        /** Prefix of every topic name; tests use a unique one per test. */
        public Builder prefix(String prefix) {
            this.prefix = prefix;
            return this;
        }

        public Builder sessionPartitions(int partitions) {
            this.sessionPartitions = partitions;
            return this;
        }

        /** Replication factor and min.insync.replicas; a multi-broker cluster wants 3 and 2. */
        public Builder replication(int replicationFactor, int minInSyncReplicas) {
            if (minInSyncReplicas > replicationFactor) {
                throw new IllegalArgumentException("min.insync.replicas > replication factor");
            }
            this.replicationFactor = (short) replicationFactor;
            this.minInSyncReplicas = minInSyncReplicas;
            return this;
        }

        /** How long idempotency keys are remembered; the outcomes topic keeps them one day longer. */
        public Builder dedupWindow(Duration window) {
            if (window.isNegative() || window.isZero()) {
                throw new IllegalArgumentException("dedup window must be positive");
            }
            this.dedupWindow = window;
            return this;
        }

        /**
         * Retention of the mutations topic, the replay source; empty keeps it forever (the default), so
         * the database can always be rebuilt from it.
         */
        public Builder replayHorizon(Optional<Duration> horizon) {
            horizon.ifPresent(h -> {
                if (h.isNegative() || h.isZero()) {
                    throw new IllegalArgumentException("replay horizon must be positive");
                }
            });
            this.replayHorizon = horizon;
            return this;
        }

        public TopicCatalog build() {
            if (sessionPartitions < 1) {
                throw new IllegalArgumentException("session partitions must be >= 1");
            }
            return new TopicCatalog(this);
        }
    }
}
