package io.splitguard.sink;

import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.splitguard.health.Breakers;
import io.splitguard.health.GuardedDataSource;
import io.splitguard.health.Health;
import io.splitguard.health.HealthSettings;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.model.StoredCheckpoint;
import io.splitguard.schemas.topics.Topic;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.sink.config.SinkClients;
import io.splitguard.sink.config.SinkConfig;
import io.splitguard.sink.consumer.Backoff;
import io.splitguard.sink.consumer.Inbound;
import io.splitguard.sink.consumer.RecordDecoder;
import io.splitguard.sink.db.BatchWriter;
import io.splitguard.sink.db.CheckpointRows;
import io.splitguard.sink.db.OffsetStore;
import io.splitguard.sink.db.Pruner;
import io.splitguard.sink.db.RefusalAuditor;
import io.splitguard.sink.db.SinkDataSources;
import io.splitguard.sink.db.SinkMigrations;
import io.splitguard.sink.db.SqlErrors;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Exactly-once sink from the sequenced mutations topic into PostgreSQL.
 *
 * <p>It reads committed records only ({@code read_committed}), never commits offsets to Kafka, and
 * keeps its position in {@code sink_offsets}, written in the same transaction as the rows of each
 * poll. On every assignment it seeks to the stored positions; after any database failure it rolls
 * back, seeks back to the stored positions and reads again, with a growing backoff. Nothing is
 * skipped: a value it cannot read, or one the database rejects, is kept in {@code sink_dead_letters}
 * in the transaction that moves past it.
 *
 * <p>A stored position that the topic no longer holds (retention deleted the records the sink had
 * not read yet) is never skipped silently: the consumer runs with {@code auto.offset.reset=none},
 * the sink compares every stored offset with the partition's log start offset when it seeks, and a
 * partition whose position is gone is reported (ERROR log, {@link SinkMetrics#OFFSETS_LOST},
 * {@link SinkMetrics#BLOCKED}) and left paused until an operator decides (see
 * {@link #blockedPartitions()}). The other partitions keep going.
 *
 * <p>Refusals (fenced writes, keys already applied) are recorded in {@code sink_refusals} with the
 * batch and then published to the audit topic by a {@link RefusalAuditor}, at least once.
 *
 * <p>One thread polls and writes; {@link #pruneExpired(Instant)} runs on a scheduler of its own, the
 * audit publisher on another.
 */
public final class PostgresSink implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresSink.class);
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    /** How often unaudited refusals are swept even when no new refusal asks for it. */
    private static final Duration AUDIT_SWEEP = Duration.ofSeconds(5);

    private static final Duration AUDIT_SEND_TIMEOUT = Duration.ofSeconds(30);

    private final SinkConfig config;
    private final Topic<String, SequencedMutation> topic;
    private final Topic<String, StoredCheckpoint> checkpointsTopic;
    private final MeterRegistry registry;
    private final SinkMetrics metrics;
    private final HikariDataSource pool;
    /** The pool behind the database's circuit breaker: everything the sink does with the database goes through it. */
    private final GuardedDataSource dataSource;

    private final BatchWriter writer;
    private final OffsetStore offsetStore;
    private final Pruner pruner;
    private final RecordDecoder decoder;
    private final Topic<String, AuditRecord> auditTopic;
    private final String name;
    private final CountDownLatch stopSignal = new CountDownLatch(1);
    private final Backoff backoff;

    // owned by the sink thread
    private final Map<TopicPartition, Long> positions = new HashMap<>();
    private final Set<TopicPartition> pendingSeek = new HashSet<>();
    private final Set<TopicPartition> blocked = new HashSet<>();
    private long retryAtNanos;

    private volatile Set<TopicPartition> assignment = Set.of();
    private volatile Set<TopicPartition> blockedView = Set.of();
    private volatile boolean stopping;
    private volatile boolean halted;
    private volatile Throwable failure;
    /** The last database or broker error, until a batch commits again. */
    private volatile String lastError;

    private KafkaConsumer<byte[], byte[]> consumer;
    private Thread thread;
    private ScheduledExecutorService scheduler;
    private ScheduledExecutorService auditScheduler;
    private KafkaProducer<String, AuditRecord> auditProducer;
    private RefusalAuditor auditor;
    private boolean started;
    private volatile Runnable afterCommit = () -> {};
    private boolean closed;

    public PostgresSink(SinkConfig config, TopicCatalog catalog) {
        this(config, catalog, new SimpleMeterRegistry());
    }

    public PostgresSink(SinkConfig config, TopicCatalog catalog, MeterRegistry registry) {
        this(config, catalog, registry, HealthSettings.DEFAULT_BREAKER_OPEN_WAIT);
    }

    /**
     * @param breakerOpenWait how long the database breaker (around the pool, opened by 3 consecutive
     *     failures to get a connection) stays open before one trial connection
     */
    public PostgresSink(SinkConfig config, TopicCatalog catalog, MeterRegistry registry, Duration breakerOpenWait) {
        this.config = Objects.requireNonNull(config, "config");
        this.topic = Objects.requireNonNull(catalog, "catalog").mutations;
        this.checkpointsTopic = catalog.checkpoints;
        this.auditTopic = catalog.audit;
        this.registry = Objects.requireNonNull(registry, "registry");
        this.metrics = new SinkMetrics(registry);
        this.pool = SinkDataSources.create(config);
        this.dataSource = new GuardedDataSource(pool, Breakers.create("database", breakerOpenWait, registry));
        this.writer = new BatchWriter(dataSource, config.groupId(), config.idempotencyRetention());
        this.offsetStore = new OffsetStore(dataSource, config.groupId());
        this.pruner = new Pruner(dataSource, config.pruneBatchSize());
        this.decoder = new RecordDecoder(topic, checkpointsTopic);
        this.backoff = new Backoff(
                MIN_BACKOFF,
                config.retryBackoffMax().compareTo(MIN_BACKOFF) < 0 ? MIN_BACKOFF : config.retryBackoffMax());
        this.name = "splitguard-postgres-sink-" + INSTANCES.incrementAndGet();
    }

    /**
     * Runs {@code hook} on the poll thread right after each batch's database transaction commits,
     * before anything else happens. Fault-injection point for the chaos harness (a crash between the
     * commit and the next poll must lose and repeat nothing).
     */
    public void afterEachCommit(Runnable hook) {
        this.afterCommit = java.util.Objects.requireNonNull(hook, "hook");
    }

    /** Applies the migrations (unless disabled), subscribes and starts the poll thread and the prune job. */
    public synchronized void start() {
        if (started || closed) {
            throw new IllegalStateException(closed ? "sink is closed" : "sink already started");
        }
        started = true;
        if (config.migrateOnStart()) {
            SinkMigrations.apply(dataSource);
        }
        consumer = new KafkaConsumer<>(SinkClients.consumer(config, name));
        auditProducer = new KafkaProducer<>(
                SinkClients.auditProducer(config, name + "-audit"),
                auditTopic.keySerde().serializer(),
                auditTopic.valueSerde().serializer());
        new KafkaClientMetrics(consumer).bindTo(registry);
        new KafkaClientMetrics(auditProducer).bindTo(registry);
        auditor = new RefusalAuditor(dataSource, auditTopic.name(), auditProducer, AUDIT_SEND_TIMEOUT);
        auditScheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name + "-audit");
            t.setDaemon(true);
            return t;
        });
        auditScheduler.scheduleWithFixedDelay(this::publishAudits, 0, AUDIT_SWEEP.toMillis(), TimeUnit.MILLISECONDS);
        thread = new Thread(this::run, name);
        thread.setUncaughtExceptionHandler((t, e) -> LOG.error("{} died", t.getName(), e));
        thread.start();
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name + "-prune");
            t.setDaemon(true);
            return t;
        });
        if (!config.pruneInterval().isNegative() && !config.pruneInterval().isZero()) {
            long every = config.pruneInterval().toMillis();
            scheduler.scheduleWithFixedDelay(
                    this::scheduledPrune, Math.min(every, 60_000), every, TimeUnit.MILLISECONDS);
        }
        LOG.info("{} started: topic {}, group {}, database {}", name, topic.name(), config.groupId(), config.jdbcUrl());
    }

    /** Stops polling after the batch in flight is committed, leaves the group and closes the pool. */
    @Override
    public void close() {
        stopping = true;
        shutdown(false);
    }

    /**
     * Simulates a crash: the batch in flight is rolled back instead of committed, the consumer is
     * closed at once and nothing further is written. Offsets live in the database, so a new sink of
     * the same group resumes exactly where the last commit left off.
     */
    public void haltWithoutCleanup() {
        halted = true;
        shutdown(true);
    }

    private void shutdown(boolean crash) {
        Thread t;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            t = thread;
        }
        stopSignal.countDown();
        if (consumer != null) {
            consumer.wakeup();
        }
        if (t != null) {
            try {
                t.join(STOP_TIMEOUT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                LOG.warn("{} did not stop within {}", name, STOP_TIMEOUT);
            }
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        stopAuditor(crash);
        pool.close();
        LOG.info("{} {}", name, crash ? "halted without cleanup" : "closed");
    }

    private void stopAuditor(boolean crash) {
        if (auditScheduler == null) {
            return;
        }
        // a sweep in progress may finish; anything it does not publish stays in the outbox for the next start
        auditScheduler.shutdown();
        try {
            if (crash || !auditScheduler.awaitTermination(5, TimeUnit.SECONDS)) {
                auditScheduler.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            auditScheduler.shutdownNow();
        }
        auditProducer.close(crash ? Duration.ZERO : Duration.ofSeconds(5));
    }

    /** Publishes the refusals not yet on the audit topic (the outbox sweep); never throws. */
    private void publishAudits() {
        try {
            int published = auditor.publishPending();
            metrics.auditPublished.increment(published);
            if (published > 0) {
                LOG.info("{}: published {} refusal(s) to {}", name, published, auditTopic.name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (SQLException | RefusalAuditor.PublishException | RuntimeException e) {
            metrics.auditFailures.increment();
            LOG.warn(
                    "{}: publishing refusals to the audit topic failed, retrying in {}: {}",
                    name,
                    AUDIT_SWEEP,
                    e.toString());
        }
    }

    /**
     * Assigned partitions this instance does not read because the offset stored for them is no longer
     * in the topic (deleted by retention, or beyond the end of a re-created topic). Records between the
     * stored offset and the log start are lost to the sink; nothing moves until an operator sets the
     * partition's {@code sink_offsets.next_offset} to where it should resume (e.g. the log start
     * offset, accepting the loss) and the partition is assigned again (restart the sink).
     */
    public Set<TopicPartition> blockedPartitions() {
        return blockedView;
    }

    /** Deletes idempotency rows whose retention ended at or before {@code now}; returns how many. */
    public long pruneExpired(Instant now) throws SQLException {
        long deleted = pruner.pruneExpiredKeys(now);
        metrics.pruned.increment(deleted);
        if (deleted > 0) {
            LOG.info("pruned {} expired idempotency row(s)", deleted);
        }
        return deleted;
    }

    /** Deletes session checkpoints whose expiry is at or before {@code now}; returns how many. */
    public long pruneExpiredCheckpoints(Instant now) throws SQLException {
        long deleted = pruner.pruneExpiredCheckpoints(now);
        metrics.checkpointsPurged.increment(deleted);
        if (deleted > 0) {
            LOG.info("pruned {} expired session checkpoint(s)", deleted);
        }
        return deleted;
    }

    /** Deletes the fencing marks of sessions not written for the idle horizon; returns how many. */
    public long pruneIdleSessions() throws SQLException {
        long deleted = pruner.pruneIdleSessions(config.sessionIdleHorizon());
        metrics.sessionsPruned.increment(deleted);
        if (deleted > 0) {
            LOG.info("pruned the marks of {} session(s) idle for more than {}", deleted, config.sessionIdleHorizon());
        }
        return deleted;
    }

    /** Waits for the poll thread to end (after close, halt, or a fatal error). */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t == null) {
            return true;
        }
        t.join(Math.max(1, timeout.toMillis()));
        return !t.isAlive();
    }

    public boolean isRunning() {
        Thread t = thread;
        return t != null && t.isAlive() && !stopping && !halted;
    }

    /** Live while the poll thread runs (or has not been started yet). */
    public Health liveness() {
        Throwable ended = failure;
        boolean live = ended == null && !halted && (!started || isRunning() || stopping);
        Map<String, Object> details = new HashMap<>();
        details.put("running", isRunning());
        if (ended != null) {
            details.put("error", String.valueOf(ended.getMessage()));
        }
        return new Health(live, details);
    }

    /** Ready while running and its last batch (or poll) did not fail; the error is shown until one commits. */
    public Health readiness() {
        String error = lastError;
        Map<String, Object> details = new HashMap<>();
        details.put("assigned_partitions", assignment.size());
        details.put("blocked_partitions", blockedView.size());
        if (error != null) {
            details.put("last_error", error);
        }
        return new Health(isRunning() && error == null, details);
    }

    /** The error that ended the poll thread, if one did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /** Partitions assigned at the last rebalance. */
    public Set<TopicPartition> assignment() {
        return assignment;
    }

    /** The sink's pool, behind the database's circuit breaker ({@link GuardedDataSource#breaker()}). */
    public GuardedDataSource dataSource() {
        return dataSource;
    }

    /** The topics the sink reads (mutations, checkpoints) and writes (audit), which its health watches. */
    public List<String> topics() {
        return List.of(topic.name(), checkpointsTopic.name(), auditTopic.name());
    }

    public MeterRegistry meterRegistry() {
        return registry;
    }

    public SinkConfig config() {
        return config;
    }

    private void run() {
        try {
            consumer.subscribe(List.of(topic.name(), checkpointsTopic.name()), new Rebalance());
            while (!stopping && !halted) {
                resolvePendingSeeks();
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(config.pollTimeout());
                } catch (WakeupException e) {
                    continue;
                } catch (OffsetOutOfRangeException e) {
                    // retention deleted records this consumer had not fetched yet (or the topic was re-created)
                    e.offsetOutOfRangePartitions().forEach((tp, offset) -> block(tp, offset, logStartOf(tp)));
                    continue;
                } catch (NoOffsetForPartitionException e) {
                    // partitions whose stored offset could not be read yet: nothing to fetch until it can
                    Duration wait = backoff.next();
                    reseek(e.partitions(), wait);
                    awaitQuietly(wait);
                    continue;
                } catch (KafkaException e) {
                    lastError = "poll: " + e.getMessage();
                    Duration wait = backoff.next();
                    LOG.error("{}: poll failed, retrying in {}", name, wait, e);
                    awaitQuietly(wait);
                    continue;
                }
                if (stopping || halted) {
                    break;
                }
                updateLag();
                if (!records.isEmpty()) {
                    List<Inbound> batch = new ArrayList<>(records.count());
                    for (ConsumerRecord<byte[], byte[]> record : records) {
                        if (!pendingSeek.contains(new TopicPartition(record.topic(), record.partition()))) {
                            batch.add(decoder.decode(record));
                        }
                    }
                    if (!batch.isEmpty()) {
                        write(batch, true);
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            failure = e;
            LOG.error("{} stopped on an unexpected error", name, e);
        } finally {
            closeConsumer();
        }
    }

    private void closeConsumer() {
        try {
            if (halted) {
                consumer.close(CloseOptions.timeout(Duration.ZERO));
            } else {
                consumer.close();
            }
        } catch (RuntimeException e) {
            LOG.warn("{}: consumer close failed", name, e);
        }
    }

    private void write(List<Inbound> batch, boolean mayDeadLetter) {
        if (halted) {
            return;
        }
        Timer.Sample sample = Timer.start(registry);
        try {
            BatchWriter.Outcome outcome = writer.write(batch, positions, () -> halted);
            sample.stop(metrics.batchDuration);
            positions.putAll(outcome.nextOffsets());
            afterCommit.run();
            backoff.reset();
            lastError = null;
            metrics.batches.increment();
            metrics.written.increment(outcome.written());
            long duplicates = outcome.refusals().stream()
                    .filter(BatchWriter.Refusal::isDuplicate)
                    .count();
            metrics.refused.increment(outcome.refusals().size() - duplicates);
            metrics.refusedDuplicates.increment(duplicates);
            metrics.deadLetters.increment(outcome.deadLetters().size());
            for (BatchWriter.Refusal r : outcome.refusals()) {
                logRefusal(r);
            }
            CheckpointRows.Result checkpoints = outcome.checkpoints();
            metrics.checkpointsWritten.increment(checkpoints.written());
            metrics.checkpointsPurged.increment(checkpoints.purged());
            metrics.refused.increment(checkpoints.refusals().size());
            for (CheckpointRows.Refusal r : checkpoints.refusals()) {
                logRefusal(r);
            }
            boolean refusedAny =
                    !outcome.refusals().isEmpty() || !checkpoints.refusals().isEmpty();
            if (refusedAny && !auditScheduler.isShutdown()) {
                auditScheduler.execute(this::publishAudits);
            }
            for (Inbound.Poison p : outcome.deadLetters()) {
                LOG.warn("dead-lettered {}-{}@{}: {}", p.topic(), p.partition(), p.offset(), p.error());
            }
        } catch (BatchWriter.AbortedException e) {
            LOG.info("{}: halted, batch of {} rolled back", name, batch.size());
        } catch (BatchWriter.StaleOffsetsException e) {
            LOG.warn("{}: {}; re-reading from the stored offsets", name, e.getMessage());
            reseek(partitionsOf(batch), Duration.ZERO);
        } catch (SQLException e) {
            if (mayDeadLetter && SqlErrors.isRecordSpecific(e)) {
                isolate(batch, e);
            } else {
                metrics.failures.increment();
                lastError = "database: SQLState " + e.getSQLState() + ": " + e.getMessage();
                Duration wait = backoff.next();
                LOG.error(
                        "{}: batch of {} rolled back (SQLState {}), re-reading from the stored offsets in {}",
                        name,
                        batch.size(),
                        e.getSQLState(),
                        wait,
                        e);
                reseek(partitionsOf(batch), wait);
            }
        }
    }

    private static void logRefusal(BatchWriter.Refusal r) {
        SequencedMutation v = r.record().value();
        if (v.sessionId() != null) {
            MDC.put("session_id", v.sessionId());
        }
        if (v.idempotencyKey() != null) {
            MDC.put("idempotency_key", v.idempotencyKey());
        }
        try {
            describeRefusal(r, v);
        } finally {
            MDC.remove("session_id");
            MDC.remove("idempotency_key");
        }
    }

    private static void logRefusal(CheckpointRows.Refusal r) {
        StoredCheckpoint v = r.record().value();
        MDC.put("session_id", v.sessionId());
        try {
            LOG.warn(
                    "refused checkpoint {} of session {}: sequence {} is not newer than the stored live checkpoint {}"
                            + " (sequence {}): {} [{}-{}@{}]",
                    v.checkpointId(),
                    v.sessionId(),
                    v.sequence(),
                    r.stored().checkpointId(),
                    r.stored().sequence(),
                    CheckpointRows.NOT_NEWER,
                    r.record().topic(),
                    r.record().partition(),
                    r.record().offset());
        } finally {
            MDC.remove("session_id");
        }
    }

    private static void describeRefusal(BatchWriter.Refusal r, SequencedMutation v) {
        if (r.isDuplicate()) {
            LOG.warn(
                    "refused write for session {}: scoped key {} was already applied with sequence {}"
                            + " (payload {}), redelivered with sequence {}: {} [{}-{}@{}]",
                    v.sessionId(),
                    v.scopedKey(),
                    r.applied().sequence(),
                    v.payloadHash().equals(r.applied().payloadHash()) ? "the same" : "different",
                    v.sequence(),
                    r.reason(),
                    r.record().topic(),
                    r.record().partition(),
                    r.record().offset());
            return;
        }
        LOG.warn(
                "refused write for session {}: sequence {} (fencing token {}) against stored sequence {}"
                        + " (fencing token {}): {} [{}-{}@{}]",
                v.sessionId(),
                v.sequence(),
                v.fencingToken(),
                r.stored().sequence(),
                r.stored().fencingToken(),
                r.reason(),
                r.record().topic(),
                r.record().partition(),
                r.record().offset());
    }

    /** The database rejected something in the batch: find the record(s) by writing them one at a time. */
    private void isolate(List<Inbound> batch, SQLException cause) {
        metrics.failures.increment();
        if (batch.size() > 1) {
            LOG.warn(
                    "{}: database rejected a record of a batch of {} ({}); writing them one by one",
                    name,
                    batch.size(),
                    cause.getMessage());
            for (Inbound in : batch) {
                if (halted || stopping) {
                    return;
                }
                if (!pendingSeek.contains(in.topicPartition())) {
                    write(List.of(in), true);
                }
            }
            return;
        }
        Inbound only = batch.get(0);
        if (only instanceof Inbound.Mutation || only instanceof Inbound.Checkpoint) {
            String error = "rejected by the database (SQLState " + cause.getSQLState() + "): " + cause.getMessage();
            LOG.error("{}: {}-{}@{} {}", name, only.topic(), only.partition(), only.offset(), error);
            write(List.of(only.asPoison(error)), false);
        } else {
            write(batch, false);
        }
    }

    private void reseek(Collection<TopicPartition> partitions, Duration wait) {
        Set<TopicPartition> owned = new HashSet<>(partitions);
        owned.retainAll(consumer.assignment());
        pendingSeek.addAll(owned);
        consumer.pause(owned);
        retryAtNanos = System.nanoTime() + wait.toNanos();
    }

    private void resolvePendingSeeks() {
        if (pendingSeek.isEmpty() || System.nanoTime() - retryAtNanos < 0) {
            return;
        }
        pendingSeek.retainAll(consumer.assignment());
        try {
            seekToStored(pendingSeek);
            Set<TopicPartition> readable = new HashSet<>(pendingSeek);
            readable.removeAll(blocked);
            consumer.resume(readable);
            pendingSeek.clear();
        } catch (SQLException | KafkaException e) {
            Duration wait = backoff.next();
            LOG.warn("{}: cannot read stored offsets ({}), retrying in {}", name, e.getMessage(), wait);
            retryAtNanos = System.nanoTime() + wait.toNanos();
        }
    }

    private void seekToStored(Collection<TopicPartition> partitions) throws SQLException {
        if (partitions.isEmpty()) {
            return;
        }
        Map<TopicPartition, Long> stored = offsetStore.load(partitions);
        Map<TopicPartition, Long> logStart = stored.isEmpty() ? Map.of() : consumer.beginningOffsets(stored.keySet());
        List<TopicPartition> fromStart = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            Long next = stored.get(tp);
            if (next == null) {
                fromStart.add(tp);
                positions.put(tp, BatchWriter.NO_OFFSET);
            } else {
                consumer.seek(tp, next);
                positions.put(tp, next);
                Long start = logStart.get(tp);
                if (start != null && next < start) {
                    block(tp, next, start);
                } else if (blocked.remove(tp)) {
                    consumer.resume(List.of(tp));
                    publishBlocked();
                }
            }
        }
        if (!fromStart.isEmpty()) {
            consumer.seekToBeginning(fromStart);
        }
        LOG.info("{}: positioned {} from the database (none stored: {})", name, stored, fromStart);
    }

    /**
     * Stops reading {@code tp}: the offset the database says to read next is not in the topic any
     * more. The partition keeps its (out of range) position but stays paused, so the consumer never
     * resets it; the sink reports it and goes on with its other partitions.
     */
    private void block(TopicPartition tp, long storedNext, long logStart) {
        metrics.offsetsLost.increment();
        LOG.error(
                "{}: the stored next offset {} of {} is no longer in the topic (log start offset {}): records"
                        + " {}..{} were deleted (retention) before this sink wrote them. The partition is not read"
                        + " until an operator sets sink_offsets.next_offset for group {} (e.g. to {}, accepting the"
                        + " loss) and the sink is restarted.",
                name,
                storedNext,
                tp,
                logStart < 0 ? "unknown" : Long.toString(logStart),
                storedNext,
                logStart < 0 ? "?" : Long.toString(logStart - 1),
                config.groupId(),
                logStart < 0 ? "the log start offset" : Long.toString(logStart));
        blocked.add(tp);
        consumer.pause(List.of(tp));
        publishBlocked();
    }

    private long logStartOf(TopicPartition tp) {
        try {
            Long start = consumer.beginningOffsets(List.of(tp)).get(tp);
            return start == null ? -1 : start;
        } catch (KafkaException e) {
            return -1;
        }
    }

    private void publishBlocked() {
        blockedView = Set.copyOf(blocked);
        metrics.blocked.set(blocked.size());
    }

    private void updateLag() {
        long total = 0;
        for (TopicPartition tp : assignment) {
            OptionalLong lag = consumer.currentLag(tp);
            if (lag.isPresent()) {
                total += lag.getAsLong();
            }
        }
        metrics.lag.set(total);
    }

    private void awaitQuietly(Duration wait) {
        try {
            stopSignal.await(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }

    private void scheduledPrune() {
        try {
            pruneExpired(Instant.now());
        } catch (SQLException | RuntimeException e) {
            LOG.warn("{}: prune of expired idempotency rows failed: {}", name, e.getMessage());
        }
        try {
            pruneExpiredCheckpoints(Instant.now());
        } catch (SQLException | RuntimeException e) {
            LOG.warn("{}: prune of expired session checkpoints failed: {}", name, e.getMessage());
        }
        try {
            pruneIdleSessions();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("{}: prune of idle session marks failed: {}", name, e.getMessage());
        }
    }

    private static Set<TopicPartition> partitionsOf(List<Inbound> batch) {
        Set<TopicPartition> set = new LinkedHashSet<>();
        batch.forEach(in -> set.add(in.topicPartition()));
        return set;
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            assignment = Set.copyOf(consumer.assignment());
            if (partitions.isEmpty()) {
                return;
            }
            try {
                seekToStored(partitions);
            } catch (SQLException | KafkaException e) {
                Duration wait = backoff.next();
                LOG.warn(
                        "{}: cannot read stored offsets for {} ({}), retrying in {}",
                        name,
                        partitions,
                        e.getMessage(),
                        wait);
                reseek(partitions, wait);
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            forget(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            forget(partitions);
        }

        private void forget(Collection<TopicPartition> partitions) {
            partitions.forEach(positions::remove);
            pendingSeek.removeAll(partitions);
            if (blocked.removeAll(partitions)) {
                publishBlocked();
            }
            Set<TopicPartition> remaining = new HashSet<>(assignment);
            remaining.removeAll(partitions);
            assignment = Set.copyOf(remaining);
        }
    }
}
