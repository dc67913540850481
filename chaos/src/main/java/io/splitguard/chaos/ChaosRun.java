package io.splitguard.chaos;

import io.splitguard.chaos.check.CheckResult;
import io.splitguard.chaos.check.Checker;
import io.splitguard.chaos.check.CheckpointChecker;
import io.splitguard.chaos.check.CheckpointFinal;
import io.splitguard.chaos.check.HealthChecker;
import io.splitguard.chaos.check.LeaseChecker;
import io.splitguard.chaos.check.LeaseFinal;
import io.splitguard.chaos.check.Observed;
import io.splitguard.chaos.check.Recovery;
import io.splitguard.chaos.check.RegionChecker;
import io.splitguard.chaos.check.RegionFinal;
import io.splitguard.chaos.cluster.BrokerCluster;
import io.splitguard.chaos.cluster.Faketime;
import io.splitguard.chaos.cluster.Netns;
import io.splitguard.chaos.cluster.NodeProcess;
import io.splitguard.chaos.cluster.PostgresNode;
import io.splitguard.chaos.cluster.ServiceProcess;
import io.splitguard.chaos.cluster.SmallRocksDbFootprint;
import io.splitguard.chaos.cluster.StateFs;
import io.splitguard.chaos.faults.Fault;
import io.splitguard.chaos.faults.FaultKind;
import io.splitguard.chaos.faults.FaultSchedule;
import io.splitguard.chaos.faults.InjectedFault;
import io.splitguard.chaos.workload.ChaosTokens;
import io.splitguard.chaos.workload.CheckpointOp;
import io.splitguard.chaos.workload.CheckpointWorkload;
import io.splitguard.chaos.workload.HealthWatcher;
import io.splitguard.chaos.workload.History;
import io.splitguard.chaos.workload.LeaseWorkload;
import io.splitguard.chaos.workload.Workload;
import io.splitguard.gateway.security.Scopes;
import io.splitguard.infra.Ports;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.FailoverDecision;
import io.splitguard.schemas.model.RegionVote;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.topology.processor.LeaseRules;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One chaos run: three broker processes (one per "region"), a PostgreSQL, two instances of each
 * pipeline service as processes, a workload recording a history, a seeded fault schedule, then
 * healing, draining and checking.
 */
public final class ChaosRun {

    private static final Logger LOG = LoggerFactory.getLogger(ChaosRun.class);

    /** One client for the harness's own HTTP questions (readiness, health, final reads); every request sets its timeout. */
    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    private static final String SECRET = "chaos-secret-chaos-secret-chaos-secret-0123";
    private static final int INSTANCES = 2;
    private static final int PARTITIONS = 6;
    /**
     * Size of each topology instance's state filesystem in runs with {@link FaultKind#TOPOLOGY_STATE_DIR_FULL}:
     * a long run's stores need a few MiB (see the run notes for what they used), so this leaves ample room.
     */
    static final int STATE_FS_MB = 128;
    /** Sessions whose flows save and restore checkpoints, steps (a write and its follow-ups) and plain reads per second. */
    static final int CHECKPOINT_SESSIONS = 30;

    static final double CHECKPOINT_STEPS_PER_SECOND = 4;
    static final double CHECKPOINT_READS_PER_SECOND = 4;

    /**
     * Sessions reserved for the lease workload (resource id = session id), and its cycles started per
     * second: a few requests a second in all.
     */
    static final int LEASE_RESOURCES = 20;

    static final double LEASE_CYCLES_PER_SECOND = 1;
    /**
     * The dedup topology's lease stale threshold and lock-delay in a chaos run (product defaults 15 s and
     * 5 s): short, so that the lease workload's paused holders are overridden within the short profile's
     * two minutes, many times over. The workload's TTL ({@link LeaseWorkload#TTL_MS}) is longer than the
     * threshold, so a silent holder's lease is still live when the other region finds it stale.
     */
    static final Duration LEASE_STALE_THRESHOLD = Duration.ofSeconds(3);

    static final Duration LEASE_LOCK_DELAY = Duration.ofSeconds(1);

    /**
     * Pause cycles run after the fault phase ({@link LeaseWorkload#settle}), one after the other, and how
     * long they may take in all.
     */
    static final int LEASE_SETTLE_CYCLES = 2;

    static final Duration LEASE_SETTLE_BUDGET = Duration.ofMinutes(5);

    /** The gateways' lease decision wait in a chaos run ({@code SPLITGUARD_GATEWAY_LEASE_DECISION_TIMEOUT}). */
    static final String LEASE_DECISION_TIMEOUT = "20s";

    /**
     * The regions of the region quorum: one coordinator per broker, each inside its broker's network
     * namespace (region-1 on broker 1, ...), so a broker cut off or paused takes its region's coordinator
     * with it. region-1 is primary at epoch 1.
     */
    static final List<String> COORDINATOR_REGIONS = List.of("region-1", "region-2", "region-3");

    /** The coordinators' vote interval and vote max age (product defaults 2 s and 10 s): short, to decide within a fault. */
    static final Duration VOTE_INTERVAL = Duration.ofSeconds(1);

    static final Duration VOTE_MAX_AGE = Duration.ofSeconds(5);

    /** The coordinators' management port, inside their namespaces (the product default). */
    static final int COORDINATOR_PORT = 8084;

    /** How often the harness probes each sink's {@code GET /health}, like a load balancer. */
    static final Duration HEALTH_PROBE_EVERY = Duration.ofMillis(500);

    /**
     * A sink must answer 503 this soon after PostgreSQL stops: one run of its checks at the product
     * defaults (every 5 s, 2 s timeout) plus 8 s for a saturated machine's scheduling.
     */
    static final Duration SINK_UNHEALTHY_BOUND = Duration.ofSeconds(15);

    /**
     * ... and 200 again this soon after it returns: crash recovery, the database breaker's 10 s open wait,
     * three healthy runs of the checks (re-entry), and room for a saturated machine.
     */
    static final Duration SINK_HEALTHY_BOUND = Duration.ofSeconds(90);

    /**
     * The largest replay lag of the synchronous standby the sinks' health accepts in these runs. The
     * product default (50 ms) is a production database's; on two cores shared with eleven JVMs the
     * standby's replay falls that far behind under load alone, and a lagging standby is not an outage
     * the health checker judges here (its absence is: the sinks must see it before the workload starts).
     */
    static final Duration SINK_MAX_REPLICATION_LAG = Duration.ofSeconds(2);

    /** The gateways' environment key for the Standard Webhooks secrets Genesys notifications are signed with. */
    static final String GENESYS_SIGNING_SECRETS = "SPLITGUARD_GATEWAY_WEBHOOKS_PLATFORMS_GENESYS_SIGNING_SECRETS";

    private final Profile profile;
    private final long seed;
    private final Path dir;
    /** The run's Genesys signing secret, drawn from the seed: both gateways verify with it, the workload signs with it. */
    private final String webhookSecret;

    public ChaosRun(Profile profile, long seed, Path dir) {
        this.profile = profile;
        this.seed = seed;
        this.dir = dir;
        this.webhookSecret = Workload.signingSecret(seed);
    }

    /**
     * The outcome of a run: the check, the faults with their stalls, where the files are, and the
     * commit ({@code git describe --always --dirty}, or "unknown") the run was built from.
     */
    public record Result(
            Profile profile,
            long seed,
            String commit,
            CheckResult check,
            List<Recovery.Stall> stalls,
            Path dir,
            long durationMs,
            List<String> notes) {

        public Result {
            notes = List.copyOf(notes);
        }
    }

    public Result run() throws Exception {
        long started = System.currentTimeMillis();
        String commit = Commit.describe(Path.of("").toAbsolutePath());
        LOG.info("chaos run {} seed {} at commit {}", profile.name(), seed, commit);
        Files.createDirectories(dir);
        // what a fault kind needs is checked before anything starts: a missing tool is a harness error
        Path faketime = profile.uses(FaultKind.GATEWAY_CLOCK_SKEW) ? Faketime.require() : null;
        List<String> notes = new ArrayList<>();
        if (faketime != null) {
            notes.add("libfaketime: " + faketime);
        }
        if (profile.gatewayCacheMaxEntries() != Profile.PRODUCT_DEFAULT) {
            notes.add("gateway answer cache: " + profile.gatewayCacheMaxEntries()
                    + " entries per instance (SPLITGUARD_GATEWAY_CACHE_MAX_ENTRIES)");
        }
        TopicCatalog topics = TopicCatalog.builder()
                .prefix("chaos.")
                .sessionPartitions(PARTITIONS)
                .replication(3, 2)
                .build();
        List<Fault> faults = FaultSchedule.generate(
                seed,
                profile.kinds(),
                profile.faultPhase(),
                profile.minGap(),
                profile.maxGap(),
                profile.faultScale(),
                INSTANCES,
                3);
        LOG.info("chaos run {} seed {}: faults {}", profile.name(), seed, faults);
        try (Netns netns = Netns.create();
                BrokerCluster brokers = BrokerCluster.start(dir.resolve("brokers"), netns);
                PostgresNode postgres = PostgresNode.start(dir.resolve("postgres"));
                History history = new History(dir.resolve("history.jsonl"))) {
            try (Admin admin =
                    Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers()))) {
                TopicBootstrap.ensure(admin, topics, 120_000);
            }
            String jdbcUrl = postgres.createDatabase("splitguard");
            Services services = new Services(brokers, jdbcUrl, topics, postgres.hasStandby());
            try {
                services.start();
                if (!postgres.hasStandby()) {
                    notes.add("PostgreSQL ran without a standby (no pg_basebackup among its binaries): the sinks"
                            + " did not require replication");
                }
                List<String> replicationErrors = postgres.hasStandby() ? services.awaitSinksReplicated() : List.of();
                // valid days either way: a gateway with a skewed clock must still accept it
                String token = ChaosTokens.mint(
                        SECRET,
                        Scopes.DEFAULT_TENANT,
                        List.of(Scopes.SESSION_WRITE, Scopes.SESSION_READ),
                        Instant.now(),
                        ChaosTokens.VALIDITY);
                try (Workload workload = new Workload(
                                services.gatewayUrls(),
                                token,
                                profile.sessions(),
                                profile.eventsPerSecond(),
                                seed,
                                history,
                                Duration.ofSeconds(90),
                                webhookSecret);
                        CheckpointWorkload flows = new CheckpointWorkload(
                                services.gatewayUrls(),
                                token,
                                CHECKPOINT_SESSIONS,
                                CHECKPOINT_STEPS_PER_SECOND,
                                CHECKPOINT_READS_PER_SECOND,
                                seed,
                                history);
                        LeaseWorkload leases = new LeaseWorkload(
                                services.gatewayUrls(),
                                token,
                                LEASE_RESOURCES,
                                LEASE_CYCLES_PER_SECOND,
                                LEASE_STALE_THRESHOLD,
                                seed,
                                history);
                        HealthWatcher health = new HealthWatcher(services.healthTargets(), HEALTH_PROBE_EVERY)) {
                    health.start();
                    workload.start();
                    flows.start();
                    leases.start();
                    // steady state first: the first fault should not land in the start-up rebalances
                    waitUntil(System.currentTimeMillis() + profile.warmUp().toMillis());
                    long phaseStart = System.currentTimeMillis();
                    FaultInjector injector = new FaultInjector(brokers, postgres, services, workload, faketime);
                    List<InjectedFault> injected = new ArrayList<>();
                    for (Fault fault : faults) {
                        waitUntil(phaseStart + fault.at().toMillis());
                        injected.add(injector.inject(fault));
                    }
                    waitUntil(phaseStart + profile.faultPhase().toMillis());
                    workload.stopGenerating();
                    flows.stopGenerating();
                    leases.stopGenerating();
                    injector.healAll();
                    LOG.info("fault phase over after {} events; draining", workload.events());
                    List<String> incomplete = new ArrayList<>();
                    if (!awaitCondition(Duration.ofMinutes(3), () -> workload.pending() == 0)) {
                        incomplete.add("the workload still had " + workload.pending()
                                + " deliveries pending 3 minutes after the fault phase");
                    }
                    if (!awaitCondition(Duration.ofMinutes(1), () -> flows.pending() == 0)) {
                        incomplete.add("the checkpoint workload still had " + flows.pending()
                                + " requests pending a minute after the fault phase");
                    }
                    List<String> leaseIncomplete = new ArrayList<>();
                    if (!awaitCondition(Duration.ofMinutes(1), () -> leases.pending() == 0)) {
                        leaseIncomplete.add("the lease workload still had " + leases.pending()
                                + " cycles under way a minute after the fault phase");
                    }
                    // every lease decision taken and answered at least once, however the fault phase went
                    if (leaseIncomplete.isEmpty() && !leases.settle(LEASE_SETTLE_CYCLES, LEASE_SETTLE_BUDGET)) {
                        leaseIncomplete.add("the lease workload's settle cycles were not over "
                                + LEASE_SETTLE_BUDGET.toMinutes() + " minutes after the fault phase");
                    }
                    incomplete.addAll(services.exited());
                    Observed all = drain(brokers.bootstrapServers(), jdbcUrl, topics, incomplete);
                    // the lease sessions' writes are not in history.jsonl: the lease checker takes them
                    Observed observed = new Observed(
                            all.rows().stream()
                                    .filter(r -> !LeaseWorkload.isLeaseSession(r.session()))
                                    .toList(),
                            all.committed().stream()
                                    .filter(m -> !LeaseWorkload.isLeaseSession(m.session()))
                                    .toList(),
                            all.incomplete());
                    LeaseFinal leaseFinal = observeLeases(
                            brokers.bootstrapServers(),
                            jdbcUrl,
                            topics,
                            all.committed().stream()
                                    .filter(m -> LeaseWorkload.isLeaseSession(m.session()))
                                    .toList(),
                            leaseIncomplete);
                    CheckpointFinal checkpoints = observeCheckpoints(
                            services.gatewayUrls(), token, jdbcUrl, flows.sessions(), history.checkpointOps());
                    health.stop();
                    HealthChecker.Result healthResult = HealthChecker.check(
                            services.sinkNames(),
                            services.coordinatorNames(),
                            health.samples(),
                            injected,
                            SINK_UNHEALTHY_BOUND.toMillis(),
                            SINK_HEALTHY_BOUND.toMillis());
                    RegionFinal regions =
                            observeRegions(brokers.bootstrapServers(), topics, services.coordinatorsExited());
                    CheckResult check = HealthChecker.merge(
                            RegionChecker.merge(
                                    LeaseChecker.merge(
                                            CheckpointChecker.merge(
                                                    Checker.check(
                                                            history.ops(), observed, profile.minAcknowledgedShare()),
                                                    CheckpointChecker.check(history.checkpointOps(), checkpoints)),
                                            LeaseChecker.check(
                                                    history.leaseOps(),
                                                    leaseFinal,
                                                    LEASE_STALE_THRESHOLD.toMillis(),
                                                    LEASE_LOCK_DELAY.toMillis(),
                                                    LeaseRules.DEFAULT_FENCE_RETENTION.toMillis())),
                                    RegionChecker.check(regions)),
                            healthResult);
                    check = check.fold(
                            replicationErrors.isEmpty(),
                            Map.of(
                                    "postgres_sync_standby",
                                    postgres.hasStandby() ? 1L : 0L,
                                    "health_sinks_saw_sync_standby",
                                    postgres.hasStandby()
                                            ? (long) (services.sinkNames().size() - replicationErrors.size())
                                            : 0L),
                            Map.of(),
                            Map.of(),
                            Map.of(),
                            replicationErrors);
                    List<Recovery.Stall> stalls = Recovery.stalls(injected, all.rows(), PARTITIONS);
                    notes.addAll(services.stateFsUsage());
                    return new Result(
                            profile, seed, commit, check, stalls, dir, System.currentTimeMillis() - started, notes);
                }
            } finally {
                services.close();
            }
        }
    }

    /**
     * Waits until the sink has written everything committed and nothing changes for a few seconds. When
     * that does not happen in time, the observation says so (with what else made it incomplete), and the
     * checker counts the run as a harness error.
     */
    private Observed drain(String bootstrap, String jdbcUrl, TopicCatalog topics, List<String> incomplete)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + Duration.ofMinutes(3).toMillis();
        Observed last = null;
        int stableRounds = 0;
        while (System.currentTimeMillis() < deadline) {
            Observed now = observe(bootstrap, jdbcUrl, topics);
            // the sink refuses lease writes with a superseded token (no row): those count as written
            long refused = leaseSinkRefusals(jdbcUrl).values().stream()
                    .mapToLong(Long::longValue)
                    .sum();
            boolean complete = now.rows().size() + refused == now.committed().size();
            if (last != null
                    && complete
                    && now.rows().size() == last.rows().size()
                    && now.committed().size() == last.committed().size()) {
                if (++stableRounds >= 2) {
                    return new Observed(now.rows(), now.committed(), List.copyOf(incomplete));
                }
            } else {
                stableRounds = 0;
            }
            last = now;
            TimeUnit.SECONDS.sleep(3);
        }
        LOG.warn("drain did not settle within 3 minutes; checking what is there");
        List<String> reasons = new ArrayList<>(incomplete);
        reasons.add("the drain did not settle within 3 minutes (rows "
                + (last == null ? 0 : last.rows().size()) + ", committed mutations "
                + (last == null ? 0 : last.committed().size()) + ")");
        return last == null
                ? new Observed(List.of(), List.of(), reasons)
                : new Observed(last.rows(), last.committed(), reasons);
    }

    private static Observed observe(String bootstrap, String jdbcUrl, TopicCatalog topics) {
        List<Observed.Row> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs =
                        s.executeQuery("select idempotency_key, session_id, session_epoch, sequence, payload_hash,"
                                + " (extract(epoch from written_at) * 1000)::bigint, route, operation,"
                                + " case when route like 'webhook.%' then payload::text end"
                                + " from crm_contact_updates")) {
            while (rs.next()) {
                rows.add(new Observed.Row(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getLong(3),
                        rs.getLong(4),
                        rs.getString(5),
                        rs.getLong(6),
                        rs.getString(7),
                        rs.getString(8),
                        storedPayloadHash(rs.getString(9))));
            }
        } catch (SQLException e) {
            LOG.warn("cannot read rows yet: {}", e.getMessage());
        }
        List<Observed.Applied> committed = new ArrayList<>();
        org.apache.kafka.common.serialization.Deserializer<SequencedMutation> values =
                topics.mutations.valueSerde().deserializer();
        readToEnd(bootstrap, sessionPartitions(topics, topics.mutations.name()), r -> {
            SequencedMutation m = values.deserialize(r.topic(), r.value());
            committed.add(new Observed.Applied(
                    m.idempotencyKey(), m.sessionId(), m.sessionEpoch(), m.sequence(), m.payloadHash(), m.route()));
        });
        return new Observed(rows, committed);
    }

    /** Every partition of a session-keyed topic. */
    private static List<TopicPartition> sessionPartitions(TopicCatalog topics, String topic) {
        return Stream.iterate(0, i -> i + 1)
                .limit(topics.sessionPartitions())
                .map(i -> new TopicPartition(topic, i))
                .toList();
    }

    /**
     * Reads {@code partitions} from their beginning to the end they have now, read-committed, and hands
     * each record (value as bytes) to {@code each}.
     */
    private static void readToEnd(
            String bootstrap,
            List<TopicPartition> partitions,
            java.util.function.Consumer<ConsumerRecord<String, byte[]>> each) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                props, new StringDeserializer(), new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            while (partitions.stream().anyMatch(tp -> consumer.position(tp, Duration.ofSeconds(30)) < end.get(tp))) {
                consumer.poll(Duration.ofMillis(500)).forEach(each);
            }
        }
    }

    /**
     * Reads the failover-decisions and region-health topics (one partition each) to their ends,
     * read-committed; what could not be read, and coordinators that exited, make the observation
     * incomplete.
     */
    private static RegionFinal observeRegions(String bootstrap, TopicCatalog topics, List<String> exited) {
        List<String> problems = new ArrayList<>(exited);
        List<RegionFinal.Vote> votes = new ArrayList<>();
        List<RegionFinal.Decision> decisions = new ArrayList<>();
        org.apache.kafka.common.serialization.Deserializer<RegionVote> voteValues =
                topics.regionHealth.valueSerde().deserializer();
        org.apache.kafka.common.serialization.Deserializer<FailoverDecision> decisionValues =
                topics.failoverDecisions.valueSerde().deserializer();
        long[] unreadable = {0};
        List<TopicPartition> partitions = List.of(
                new TopicPartition(topics.regionHealth.name(), 0),
                new TopicPartition(topics.failoverDecisions.name(), 0));
        try {
            readToEnd(bootstrap, partitions, r -> {
                if (r.value() == null) {
                    return;
                }
                try {
                    if (r.topic().equals(topics.regionHealth.name())) {
                        votes.add(new RegionFinal.Vote(
                                r.offset(), r.timestamp(), voteValues.deserialize(r.topic(), r.value())));
                    } else {
                        decisions.add(new RegionFinal.Decision(
                                r.offset(), r.timestamp(), decisionValues.deserialize(r.topic(), r.value())));
                    }
                } catch (RuntimeException e) {
                    unreadable[0]++;
                }
            });
        } catch (RuntimeException e) {
            problems.add("the region topics could not be read to their ends: " + e);
        }
        if (unreadable[0] > 0) {
            problems.add(unreadable[0] + " records of the region topics could not be read");
        }
        votes.sort(Comparator.comparingLong(RegionFinal.Vote::offset));
        decisions.sort(Comparator.comparingLong(RegionFinal.Decision::offset));
        return new RegionFinal(COORDINATOR_REGIONS, VOTE_MAX_AGE.toMillis(), votes, decisions, problems);
    }

    /**
     * What the system recorded about the lease sessions: their audit records (read committed, with partition
     * and offset), their rows of {@code crm_contact_updates} with the fencing token, and the sink's refusals.
     */
    private static LeaseFinal observeLeases(
            String bootstrap,
            String jdbcUrl,
            TopicCatalog topics,
            List<Observed.Applied> committed,
            List<String> incomplete) {
        List<String> problems = new ArrayList<>(incomplete);
        List<LeaseFinal.Audit> audits = new ArrayList<>();
        org.apache.kafka.common.serialization.Deserializer<AuditRecord> values =
                topics.audit.valueSerde().deserializer();
        long[] unreadable = {0};
        try {
            readToEnd(bootstrap, sessionPartitions(topics, topics.audit.name()), r -> {
                if (!LeaseWorkload.isLeaseSession(r.key())) {
                    return;
                }
                AuditRecord a;
                try {
                    a = values.deserialize(r.topic(), r.value());
                } catch (RuntimeException e) {
                    unreadable[0]++;
                    return;
                }
                if (a == null || !LeaseWorkload.isLeaseSession(a.sessionId())) {
                    return;
                }
                audits.add(new LeaseFinal.Audit(
                        r.partition(),
                        r.offset(),
                        a.decision().wireName(),
                        a.sessionId(),
                        a.requestId(),
                        a.scopedKey(),
                        a.sequence() == null ? -1 : a.sequence(),
                        a.at().toEpochMilli(),
                        a.detail()));
            });
        } catch (RuntimeException e) {
            problems.add("the audit topic could not be read to its end: " + e);
        }
        if (unreadable[0] > 0) {
            problems.add(unreadable[0] + " audit records of lease sessions could not be read");
        }
        List<LeaseFinal.Row> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select idempotency_key, session_id, session_epoch, sequence,"
                        + " fencing_token from crm_contact_updates where session_id like '"
                        + LeaseWorkload.RESOURCE_PREFIX + "%'")) {
            while (rs.next()) {
                long token = rs.getLong(5);
                rows.add(new LeaseFinal.Row(
                        rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.wasNull() ? null : token));
            }
        } catch (SQLException e) {
            problems.add("the lease sessions' rows could not be read: " + e.getMessage());
        }
        return new LeaseFinal(audits, rows, committed, leaseSinkRefusals(jdbcUrl), problems);
    }

    /** The sink's refusals of lease sessions' mutations, by reason. */
    private static Map<String, Long> leaseSinkRefusals(String jdbcUrl) {
        Map<String, Long> refusals = new java.util.TreeMap<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select reason, count(*) from sink_refusals where session_id like '"
                        + LeaseWorkload.RESOURCE_PREFIX + "%' group by reason")) {
            while (rs.next()) {
                refusals.put(rs.getString(1), rs.getLong(2));
            }
        } catch (SQLException e) {
            LOG.warn("cannot read sink_refusals yet: {}", e.getMessage());
        }
        return refusals;
    }

    /**
     * The hash of a stored payload as read back ({@code payload::text} of a webhook row), computed as the
     * gateway hashes what it was sent; null when there is none or it cannot be read.
     */
    static String storedPayloadHash(String payload) {
        if (payload == null) {
            return null;
        }
        try {
            return io.splitguard.schemas.json.PayloadHash.of(
                    io.splitguard.schemas.json.Json.mapper().readTree(payload));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * What the system holds for each checkpoint session once everything settled: each gateway's answer to a
     * read carrying the session's highest acknowledged position (so a copy still catching up waits or
     * answers 503, which is asked again), and the {@code session_checkpoints} rows, read until they agree
     * with the gateways or two minutes passed. A gateway that never answers makes the observation
     * incomplete (a harness error).
     */
    private static CheckpointFinal observeCheckpoints(
            List<String> gateways, String token, String jdbcUrl, List<String> sessions, List<CheckpointOp> history)
            throws InterruptedException {
        Map<String, String> positions = new HashMap<>();
        for (CheckpointOp op : history) {
            if (op.isWrite() && op.ok() && op.position() != null) {
                positions.merge(op.session(), op.position(), ChaosRun::later);
            }
        }
        java.net.http.HttpClient client = HTTP;
        // generous: after the last heal a loaded machine may still be restoring checkpoint stores, and an
        // owner answers only once its task runs again
        long deadline = System.currentTimeMillis() + Duration.ofMinutes(4).toMillis();
        Map<String, List<CheckpointFinal.Served>> answers = new HashMap<>();
        List<String> incomplete = new ArrayList<>();
        for (String session : sessions) {
            List<CheckpointFinal.Served> served = new ArrayList<>();
            for (int g = 0; g < gateways.size(); g++) {
                String uri = gateways.get(g) + "/api/v2/sessions/" + session + "/state/latest"
                        + (positions.containsKey(session) ? "?position=" + positions.get(session) : "");
                CheckpointFinal.Served answer = null;
                String last = "";
                while (answer == null && System.currentTimeMillis() < deadline) {
                    try {
                        java.net.http.HttpResponse<String> response = client.send(
                                java.net.http.HttpRequest.newBuilder(java.net.URI.create(uri))
                                        .timeout(Duration.ofSeconds(10))
                                        .header("Authorization", "Bearer " + token)
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString());
                        last = response.statusCode() + " " + response.body();
                        if (response.statusCode() == 200) {
                            answer = servedOf(response.body());
                        }
                    } catch (IOException | RuntimeException e) {
                        last = e.toString();
                    }
                    if (answer == null) {
                        TimeUnit.MILLISECONDS.sleep(500);
                    }
                }
                if (answer == null) {
                    incomplete.add(
                            "gateway-" + g + " did not answer the final read of " + session + " (last: " + last + ")");
                } else {
                    served.add(answer);
                }
            }
            answers.put(session, served);
        }
        Map<String, CheckpointFinal.Served> rows = checkpointRows(jdbcUrl);
        while (!agree(answers, rows) && System.currentTimeMillis() < deadline) {
            TimeUnit.SECONDS.sleep(2);
            rows = checkpointRows(jdbcUrl);
        }
        return new CheckpointFinal(answers, rows, incomplete);
    }

    /** The later of two positions ({@code partition:offset}) of one session (one partition). */
    private static String later(String a, String b) {
        long oa = Long.parseLong(a.substring(a.indexOf(':') + 1));
        long ob = Long.parseLong(b.substring(b.indexOf(':') + 1));
        return ob > oa ? b : a;
    }

    private static boolean agree(
            Map<String, List<CheckpointFinal.Served>> answers, Map<String, CheckpointFinal.Served> rows) {
        for (Map.Entry<String, List<CheckpointFinal.Served>> e : answers.entrySet()) {
            for (CheckpointFinal.Served answer : e.getValue()) {
                CheckpointFinal.Served row = rows.get(e.getKey());
                if (answer.restore() && (row == null || !row.content().equals(answer.content()))) {
                    return false;
                }
            }
        }
        return true;
    }

    /** A {@code GET .../state/latest} answer as a served checkpoint. */
    static CheckpointFinal.Served servedOf(String body) throws IOException {
        com.fasterxml.jackson.databind.JsonNode answer =
                io.splitguard.schemas.json.Json.mapper().readTree(body);
        if (!answer.path("restore").asBoolean(false)) {
            return CheckpointFinal.Served.none(answer.path("reason").asText(""));
        }
        return CheckpointFinal.Served.of(
                answer.path("sequence").asLong(-1),
                answer.path("checkpoint_id").asText(null),
                CheckpointOp.canonical(answer.path("variables")));
    }

    private static Map<String, CheckpointFinal.Served> checkpointRows(String jdbcUrl) {
        Map<String, CheckpointFinal.Served> rows = new HashMap<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "select session_id, sequence, checkpoint_id, variables::text from session_checkpoints")) {
            while (rs.next()) {
                rows.put(
                        rs.getString(1),
                        CheckpointFinal.Served.of(
                                rs.getLong(2), rs.getString(3), CheckpointOp.canonical(rs.getString(4))));
            }
        } catch (SQLException e) {
            LOG.warn("cannot read session_checkpoints: {}", e.getMessage());
        }
        return rows;
    }

    private static void waitUntil(long epochMs) throws InterruptedException {
        long wait = epochMs - System.currentTimeMillis();
        if (wait > 0) {
            TimeUnit.MILLISECONDS.sleep(wait);
        }
    }

    /** Polls {@code condition} until it holds or {@code max} passed; returns whether it held. */
    private static boolean awaitCondition(Duration max, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + max.toMillis();
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() >= deadline) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        return true;
    }

    /**
     * Every process of {@code processes} that has exited, with its exit code and log tail: after the
     * faults were healed (each fault restarts what it stopped) such a run proves nothing.
     */
    static List<String> notRunning(List<? extends NodeProcess> processes) {
        List<String> found = new ArrayList<>();
        processes.forEach(p -> p.exitValue()
                .ifPresent(code -> found.add(p.name() + " is not running (exit " + code + ") after the faults"
                        + " were healed; its log ends:\n" + tail(p.log(), 15))));
        return found;
    }

    /** Two instances of every pipeline service, each its own process. */
    final class Services implements AutoCloseable {
        final List<ServiceProcess> gateways = new ArrayList<>();
        final List<ServiceProcess> topologies = new ArrayList<>();
        final List<ServiceProcess> sinks = new ArrayList<>();
        /** The checkpoint topology, one instance per "region"; gateway i reads through instance i. */
        final List<ServiceProcess> checkpoints = new ArrayList<>();

        /**
         * Every service process that is not running after the faults were healed (each fault restarts what
         * it stopped), with its exit code and log tail: such a run proves nothing and is a harness error.
         */
        List<String> exited() {
            return notRunning(Stream.of(gateways, topologies, checkpoints, sinks)
                    .flatMap(List::stream)
                    .toList());
        }

        /** The region coordinators that are not running at the end: the region checkers' harness errors. */
        List<String> coordinatorsExited() {
            return notRunning(coordinators);
        }

        /** The region coordinators, one per broker (region-1 on broker 1, ...), in their brokers' namespaces. */
        final List<ServiceProcess> coordinators = new ArrayList<>();
        /** Each topology instance's state filesystem, in runs that fill it; empty otherwise. */
        final List<StateFs> stateFs = new ArrayList<>();

        private final List<Integer> ports = new ArrayList<>();
        private final List<Integer> checkpointPorts = new ArrayList<>();
        private final List<Integer> sinkPorts = new ArrayList<>();
        /** Whether the database has a synchronous standby, which the sinks' health then requires. */
        private final boolean replicated;

        /**
         * Waits (up to 3 minutes) until each sink's {@code /health} reports its database replicated with a
         * synchronous standby and the component healthy; a sink that never does is a harness error, since
         * the health rules would then be judged against a database set-up that is not the one intended.
         */
        List<String> awaitSinksReplicated() throws InterruptedException {
            List<String> errors = new ArrayList<>();
            long deadline = System.currentTimeMillis() + Duration.ofMinutes(3).toMillis();
            for (int i = 0; i < sinkPorts.size(); i++) {
                String url = "http://127.0.0.1:" + sinkPorts.get(i) + "/health";
                String[] last = {"no answer"};
                boolean seen =
                        awaitCondition(Duration.ofMillis(Math.max(0, deadline - System.currentTimeMillis())), () -> {
                            com.fasterxml.jackson.databind.JsonNode replication = replicationOf(url);
                            last[0] = replication.toString();
                            return syncReplicated(replication);
                        });
                if (!seen) {
                    errors.add(sinks.get(i).name() + " never reported its database replicated with a synchronous"
                            + " standby: " + last[0]);
                }
            }
            return errors;
        }

        /** The {@code database_replication} component of a sink's {@code /health}; a missing node when not reached. */
        private static com.fasterxml.jackson.databind.JsonNode replicationOf(String healthUrl) {
            try {
                String body = HTTP.send(
                                java.net.http.HttpRequest.newBuilder(java.net.URI.create(healthUrl))
                                        .timeout(Duration.ofSeconds(2))
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString())
                        .body();
                return io.splitguard.schemas.json.Json.mapper()
                        .readTree(body)
                        .path("components")
                        .path("database_replication");
            } catch (IOException e) {
                return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
            }
        }

        private static boolean syncReplicated(com.fasterxml.jackson.databind.JsonNode replication) {
            return "healthy".equals(replication.path("status").asText())
                    && "replicated".equals(replication.path("mode").asText())
                    && replication.path("sync_replicas").asInt() >= 1;
        }

        List<String> sinkNames() {
            return sinks.stream().map(ServiceProcess::name).toList();
        }

        List<String> coordinatorNames() {
            return coordinators.stream().map(ServiceProcess::name).toList();
        }

        /**
         * What the harness probes like a load balancer: each sink's {@code /health} (its management port),
         * and each coordinator's, asked from inside its broker's namespace (so a cut does not hide it).
         */
        Map<String, HealthWatcher.Target> healthTargets() {
            Map<String, HealthWatcher.Target> targets = new java.util.LinkedHashMap<>();
            for (int i = 0; i < sinkPorts.size(); i++) {
                targets.put(
                        sinks.get(i).name(),
                        new HealthWatcher.Target("http://127.0.0.1:" + sinkPorts.get(i) + "/health", List.of()));
            }
            for (int i = 0; i < coordinators.size(); i++) {
                targets.put(
                        coordinators.get(i).name(),
                        new HealthWatcher.Target(
                                "http://127.0.0.1:" + COORDINATOR_PORT + "/health", brokers.execPrefix(i + 1)));
            }
            return targets;
        }

        private final BrokerCluster brokers;
        private final String bootstrap;
        private final String jdbcUrl;
        private final TopicCatalog topics;

        Services(BrokerCluster brokers, String jdbcUrl, TopicCatalog topics, boolean replicated) {
            this.replicated = replicated;
            this.brokers = brokers;
            this.bootstrap = brokers.bootstrapServers();
            this.jdbcUrl = jdbcUrl;
            this.topics = topics;
        }

        void start() {
            Path logs = dir.resolve("logs");
            if (profile.uses(FaultKind.TOPOLOGY_STATE_DIR_FULL)) {
                StateFs.removeLeftovers();
                for (int i = 0; i < INSTANCES; i++) {
                    stateFs.add(StateFs.mount(stateDir(i), STATE_FS_MB));
                }
            }
            for (int i = 0; i < INSTANCES; i++) {
                sinkPorts.add(Ports.free());
                sinks.add(ServiceProcess.sink("sink-" + i, sinkEnv(i), logs.resolve("sink-" + i + ".log")));
                topologies.add(ServiceProcess.dedup("dedup-" + i, dedupEnv(i), logs.resolve("dedup-" + i + ".log")));
            }
            for (int i = 0; i < COORDINATOR_REGIONS.size(); i++) {
                coordinators.add(ServiceProcess.coordinator(
                        "coordinator-" + (i + 1),
                        brokers.execPrefix(i + 1),
                        coordinatorEnv(i),
                        logs.resolve("coordinator-" + (i + 1) + ".log")));
            }
            for (int i = 0; i < INSTANCES; i++) {
                int port = Ports.free();
                checkpointPorts.add(port);
                checkpoints.add(ServiceProcess.checkpoint(
                        "checkpoint-" + i, checkpointEnv(i, port), logs.resolve("checkpoint-" + i + ".log")));
            }
            for (int i = 0; i < INSTANCES; i++) {
                int port = Ports.free();
                ports.add(port);
                gateways.add(ServiceProcess.gateway(
                        "gateway-" + i, gatewayEnv(port, i), logs.resolve("gateway-" + i + ".log")));
            }
            // 90 s were not always enough with eight service JVMs starting at once on two shared cores
            for (int i = 0; i < ports.size(); i++) {
                awaitGateway(i, Duration.ofSeconds(180));
            }
        }

        /** Waits until gateway {@code i} answers its liveness probe; fails with the tail of its log. */
        void awaitGateway(int i, Duration max) {
            try {
                awaitHttp(gatewayUrl(i) + "/health/live", max);
            } catch (IllegalStateException e) {
                // the run directory may be temporary: keep the reason in the error itself
                ServiceProcess gateway = gateways.get(i);
                throw new IllegalStateException(
                        e.getMessage() + "; " + gateway.name() + " exit " + gateway.exitValue()
                                + ", last lines of its log:\n" + tail(gateway.log(), 40),
                        e);
            }
        }

        List<String> gatewayUrls() {
            return ports.stream().map(p -> "http://127.0.0.1:" + p).toList();
        }

        String gatewayUrl(int i) {
            return "http://127.0.0.1:" + ports.get(i);
        }

        /** What each state filesystem holds now (for the run notes); empty when there are none. */
        List<String> stateFsUsage() {
            List<String> usage = new ArrayList<>();
            for (int i = 0; i < stateFs.size(); i++) {
                StateFs fs = stateFs.get(i);
                usage.add(String.format(
                        java.util.Locale.ROOT,
                        "dedup-%d state directory: tmpfs of %d MiB, %.1f MiB used at the end",
                        i,
                        fs.sizeMb(),
                        fs.usedBytes() / 1048576.0));
            }
            return usage;
        }

        Path haltFile(int sink) {
            return dir.resolve("sink-" + sink + ".halt");
        }

        Path stateDir(int topology) {
            return dir.resolve("streams-" + topology);
        }

        Path checkpointStateDir(int instance) {
            return dir.resolve("checkpoint-streams-" + instance);
        }

        private Map<String, String> common() {
            Map<String, String> env = new HashMap<>();
            env.put("SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS", bootstrap);
            env.put("SPLITGUARD_TOPIC_PREFIX", topics.prefix());
            env.put("SPLITGUARD_SESSION_PARTITIONS", Integer.toString(topics.sessionPartitions()));
            env.put("SPLITGUARD_REPLICATION_FACTOR", "3");
            env.put("SPLITGUARD_MIN_INSYNC_REPLICAS", "2");
            return env;
        }

        private Map<String, String> coordinatorEnv(int i) {
            Map<String, String> env = common();
            env.put("SPLITGUARD_REGIONS", String.join(",", COORDINATOR_REGIONS));
            env.put("SPLITGUARD_REGION", COORDINATOR_REGIONS.get(i));
            env.put("SPLITGUARD_REGION_INITIAL_PRIMARY", COORDINATOR_REGIONS.get(0));
            env.put("SPLITGUARD_REGION_VOTE_INTERVAL", VOTE_INTERVAL.toString());
            env.put("SPLITGUARD_REGION_VOTE_MAX_AGE", VOTE_MAX_AGE.toString());
            env.put("SPLITGUARD_HEALTH_CHECK_INTERVAL", "PT1S");
            env.put(
                    "SPLITGUARD_STATE_DIR",
                    dir.resolve("coordinator-streams-" + (i + 1)).toString());
            // each coordinator has its broker's namespace to itself: the product's port, probed from inside
            env.put("SPLITGUARD_MANAGEMENT_PORT", Integer.toString(COORDINATOR_PORT));
            // the quorum task moves within seconds when the instance running it is cut off
            env.put("SPLITGUARD_KAFKA_CLIENT_SESSION_TIMEOUT_MS", "6000");
            env.put("SPLITGUARD_KAFKA_CLIENT_HEARTBEAT_INTERVAL_MS", "1500");
            return env;
        }

        private Map<String, String> sinkEnv(int i) {
            Map<String, String> env = common();
            env.put("SPLITGUARD_MANAGEMENT_PORT", Integer.toString(sinkPorts.get(i)));
            env.put("DATABASE_URL", jdbcUrl);
            env.put("DATABASE_USER", "postgres");
            env.put("DATABASE_PASSWORD", "");
            env.put("SPLITGUARD_HEALTH_DB_REPLICATION_REQUIRED", Boolean.toString(replicated));
            env.put("SPLITGUARD_HEALTH_DB_MAX_LAG_MS", Long.toString(SINK_MAX_REPLICATION_LAG.toMillis()));
            env.put("SPLITGUARD_SINK_CONSUMER_SESSION_TIMEOUT_MS", "6000");
            env.put("SPLITGUARD_SINK_CONSUMER_HEARTBEAT_INTERVAL_MS", "1500");
            env.put("SPLITGUARD_SINK_RETRY_BACKOFF_MAX", "PT2S");
            env.put("SPLITGUARD_FAULT_HALT_AFTER_COMMIT_FILE", haltFile(i).toString());
            // fail fast on a frozen or cut-off broker instead of waiting out the 30 s client defaults
            env.put("SPLITGUARD_SINK_CONSUMER_REQUEST_TIMEOUT_MS", "10000");
            env.put("SPLITGUARD_SINK_CONSUMER_SOCKET_CONNECTION_SETUP_TIMEOUT_MS", "3000");
            env.put("SPLITGUARD_SINK_CONSUMER_SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS", "5000");
            return env;
        }

        /**
         * Checkpoint topology instance {@code i}: a standby replica, its management port fixed and named as
         * its {@code application.server}, so the instances forward reads to each other; the client timeouts
         * of the dedup topology.
         */
        private Map<String, String> checkpointEnv(int i, int port) {
            Map<String, String> env = streamsEnv();
            env.put("SPLITGUARD_STATE_DIR", checkpointStateDir(i).toString());
            env.put("SPLITGUARD_MANAGEMENT_PORT", Integer.toString(port));
            env.put("SPLITGUARD_CHECKPOINT_APPLICATION_SERVER", "127.0.0.1:" + port);
            return env;
        }

        private Map<String, String> dedupEnv(int i) {
            Map<String, String> env = streamsEnv();
            env.put("SPLITGUARD_STATE_DIR", stateDir(i).toString());
            env.put("SPLITGUARD_LEASE_STALE_THRESHOLD", LEASE_STALE_THRESHOLD.toString());
            env.put("SPLITGUARD_LEASE_LOCK_DELAY", LEASE_LOCK_DELAY.toString());
            if (!stateFs.isEmpty()) {
                // on a small filesystem: small memtables, so the stores reach the disk within a fault
                env.put("SPLITGUARD_STREAMS_ROCKSDB_CONFIG_SETTER", SmallRocksDbFootprint.class.getName());
            }
            return env;
        }

        private Map<String, String> streamsEnv() {
            Map<String, String> env = common();
            env.put("SPLITGUARD_STANDBY_REPLICAS", "1");
            env.put("SPLITGUARD_STREAMS_REPLICATION_FACTOR", "3");
            env.put("SPLITGUARD_STREAMS_SESSION_TIMEOUT_MS", "6000");
            env.put("SPLITGUARD_STREAMS_HEARTBEAT_INTERVAL_MS", "1500");
            env.put("SPLITGUARD_STREAMS_PRODUCER_TRANSACTION_TIMEOUT_MS", "6000");
            // fail fast on a frozen or cut-off broker: a blocked commit or request gives up within 10 s
            // (defaults: 30 s requests, 60 s blocking calls), so the thread rejoins its group sooner
            env.put("SPLITGUARD_STREAMS_REQUEST_TIMEOUT_MS", "10000");
            env.put("SPLITGUARD_STREAMS_PRODUCER_MAX_BLOCK_MS", "10000");
            env.put("SPLITGUARD_STREAMS_SOCKET_CONNECTION_SETUP_TIMEOUT_MS", "3000");
            env.put("SPLITGUARD_STREAMS_SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS", "5000");
            return env;
        }

        private Map<String, String> gatewayEnv(int port, int i) {
            Map<String, String> env = common();
            // each region's gateway reads checkpoints through its region's topology instance
            env.put("SPLITGUARD_GATEWAY_CHECKPOINT_QUERY_URL", "http://127.0.0.1:" + checkpointPorts.get(i));
            env.put("MICRONAUT_SERVER_PORT", Integer.toString(port));
            env.put("MICRONAUT_SERVER_HOST", "127.0.0.1");
            env.put("MICRONAUT_SECURITY_TOKEN_JWT_SIGNATURES_SECRET_GENERATOR_SECRET", SECRET);
            env.put("SPLITGUARD_GATEWAY_DELIVERY_TIMEOUT", "10s");
            // lease answers wait up to 20 s for the topology's decision (product default 5 s): under faults on a
            // loaded machine its lag often exceeds 5 s, and a run without grants tests no lease invariant
            env.put("SPLITGUARD_GATEWAY_LEASE_DECISION_TIMEOUT", LEASE_DECISION_TIMEOUT);
            // Genesys notifications authenticate by signature (tenant platform:genesys), no bearer token
            env.put(GENESYS_SIGNING_SECRETS, webhookSecret);
            if (profile.gatewayCacheMaxEntries() != Profile.PRODUCT_DEFAULT) {
                env.put("SPLITGUARD_GATEWAY_CACHE_MAX_ENTRIES", Long.toString(profile.gatewayCacheMaxEntries()));
            }
            return env;
        }

        @Override
        public void close() {
            try {
                Stream.of(gateways, topologies, checkpoints, sinks, coordinators)
                        .flatMap(List::stream)
                        .forEach(ServiceProcess::stop);
            } finally {
                // the processes are gone (or as gone as they get): unmount whatever happened
                stateFs.forEach(StateFs::close);
            }
        }
    }

    private static void awaitHttp(String url, Duration max) {
        java.net.http.HttpClient client = HTTP;
        long deadline = System.currentTimeMillis() + max.toMillis();
        while (System.currentTimeMillis() < deadline) {
            try {
                int status = client.send(
                                java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                                        .timeout(Duration.ofSeconds(5))
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.discarding())
                        .statusCode();
                if (status == 200) {
                    return;
                }
            } catch (IOException e) {
                LOG.debug("{} not up yet", url);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException(url + " did not come up within " + max);
    }

    /** The last {@code lines} lines of a log file, or a note that it cannot be read. */
    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
