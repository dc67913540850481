package io.splitguard.checkpoint.processor;

import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.CheckpointRequest;
import io.splitguard.schemas.model.StoredCheckpoint;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Keeps the latest checkpoint of each session. A checkpoint is accepted only when its {@code sequence} is
 * greater than the stored one's, so a late checkpoint from a lagging region, or a retry, can never
 * replace newer state (invariant 4): it is rejected and audited, neither stored nor forwarded.
 *
 * <p><b>Time.</b> {@code expires_at} is this instance's processing clock at acceptance plus the TTL (the
 * request's, capped by the configured maximum); the sender's {@code received_at} and the record
 * timestamp decide nothing. A stored checkpoint past its expiry counts as absent from that instant,
 * whether or not the purge has deleted it yet: a new checkpoint then starts the session afresh and is
 * accepted whatever its sequence. That makes the outcome independent of when the purge happens to run
 * (after the purge nothing is left to compare with), and matches the TTL's meaning: the session's state
 * is gone after it.
 *
 * <p>Runs in the one task that owns the session's partition; under exactly-once the store update and
 * all outputs of a record commit atomically. Values arrive as raw bytes and are decoded here, so proven
 * poison (undecodable, schema-invalid, key not the body's session id) becomes a dead letter with its
 * error in headers; any other failure (a store error, a bug) fails the task instead of skipping input.
 */
public final class CheckpointProcessor implements Processor<String, byte[], Object, Object> {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointProcessor.class);

    /** Entries each purge punctuation looks at, at most. */
    static final int PURGE_BATCH = 10_000;

    private final JsonSerde<CheckpointRequest> requestSerde;
    private final List<String> excludedVariables;
    private final long maxTtlSeconds;
    private final Duration purgeInterval;
    private final int purgeBatch;
    private final ServingPartitions serving;
    private ProcessorContext<Object, Object> context;
    private long generation = ServingPartitions.NOT_SERVING;
    private KeyValueStore<String, StoredCheckpoint> latest;

    /**
     * @param excludedVariables top-level variables dropped before anything is stored
     * @param maxTtl the longest TTL applied; a request asking for more gets this
     * @param purgeInterval how often (wall clock) the purge of expired checkpoints runs
     * @param serving where this task announces that its partition is running (for interactive queries)
     */
    public CheckpointProcessor(
            JsonSerde<CheckpointRequest> requestSerde,
            List<String> excludedVariables,
            Duration maxTtl,
            Duration purgeInterval,
            ServingPartitions serving) {
        this(requestSerde, excludedVariables, maxTtl, purgeInterval, PURGE_BATCH, serving);
    }

    CheckpointProcessor(
            JsonSerde<CheckpointRequest> requestSerde,
            List<String> excludedVariables,
            Duration maxTtl,
            Duration purgeInterval,
            int purgeBatch,
            ServingPartitions serving) {
        this.serving = Objects.requireNonNull(serving, "serving");
        this.requestSerde = Objects.requireNonNull(requestSerde, "requestSerde");
        this.excludedVariables = List.copyOf(excludedVariables);
        if (maxTtl.toSeconds() < CheckpointRequest.MIN_TTL_SECONDS) {
            throw new IllegalArgumentException("the maximum TTL must be at least one second");
        }
        if (purgeInterval.isNegative() || purgeInterval.isZero()) {
            throw new IllegalArgumentException("purge interval must be positive");
        }
        this.maxTtlSeconds = maxTtl.toSeconds();
        this.purgeInterval = purgeInterval;
        this.purgeBatch = purgeBatch;
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.context = context;
        this.latest = context.getStateStore(CheckpointNodes.LATEST_STORE);
        ExpiredCheckpointPurger purger = new ExpiredCheckpointPurger(latest, purgeBatch, this::purged);
        context.schedule(purgeInterval, PunctuationType.WALL_CLOCK_TIME, purger);
        // last: the store is restored (Kafka Streams initialises processors only then) and ready to serve
        generation = serving.started(context.taskId().partition());
    }

    @Override
    public void close() {
        if (context != null) {
            serving.stopped(context.taskId().partition(), generation);
        }
    }

    @Override
    public void process(Record<String, byte[]> record) {
        CheckpointRequest request;
        try {
            request = parse(record);
        } catch (SerializationException e) {
            deadLetter(record, e);
            return;
        }
        // The pipeline's clock, never the sender's: neither received_at nor the record timestamp may
        // decide how long a checkpoint lives.
        long now = context.currentSystemTimeMs();
        Instant at = Instant.ofEpochMilli(now);
        Record<String, byte[]> stamped = record.withTimestamp(now);
        request = request.withoutVariables(excludedVariables);
        StoredCheckpoint stored = latest.get(request.sessionId());
        if (stored != null && stored.isExpiredAt(at)) {
            expired(stamped, stored, at);
            stored = null;
        }
        if (stored != null && request.sequence() <= stored.sequence()) {
            rejectStale(stamped, request, stored, at);
        } else {
            accept(stamped, request, at);
        }
    }

    private CheckpointRequest parse(Record<String, byte[]> record) {
        if (record.key() == null) {
            throw new SerializationException("record has no key; checkpoints are keyed by session id");
        }
        CheckpointRequest request = requestSerde.fromBytes(record.value());
        if (request == null) {
            throw new SerializationException("record has no value");
        }
        if (!record.key().equals(request.sessionId())) {
            throw new SerializationException(
                    "record key '" + record.key() + "' is not the session id '" + request.sessionId() + "'");
        }
        return request;
    }

    private void accept(Record<String, byte[]> record, CheckpointRequest request, Instant at) {
        RecordMetadata source = context.recordMetadata()
                .orElseThrow(() -> new IllegalStateException("a checkpoint without a source record"));
        int ttl = (int) Math.min(request.ttlSeconds(), maxTtlSeconds);
        StoredCheckpoint checkpoint = StoredCheckpoint.accepted(request, ttl, at, source.partition(), source.offset());
        latest.put(request.sessionId(), checkpoint);
        context.forward(record.withKey(request.sessionId()).withValue(checkpoint), CheckpointNodes.CHECKPOINTS_SINK);
        audit(
                record,
                new AuditRecord(
                        AuditRecord.Decision.CHECKPOINT_ACCEPTED,
                        request.sessionId(),
                        request.requestId(),
                        null,
                        null,
                        request.sequence(),
                        at,
                        "checkpoint " + request.checkpointId() + " from " + request.region() + " expires at "
                                + checkpoint.expiresAt()
                                + (ttl < request.ttlSeconds() ? " (ttl capped to " + ttl + " s)" : "")));
    }

    /**
     * Not newer than the stored checkpoint. The stored value is written back unchanged: the store's
     * position then covers this record too, so a read that waits for the store to reach a write's
     * offset (read-your-writes) returns at once with the newer checkpoint instead of waiting for the
     * partition's next accepted one.
     */
    private void rejectStale(
            Record<String, byte[]> record, CheckpointRequest request, StoredCheckpoint stored, Instant at) {
        latest.put(stored.sessionId(), stored);
        audit(
                record,
                new AuditRecord(
                        AuditRecord.Decision.CHECKPOINT_REJECTED_STALE,
                        request.sessionId(),
                        request.requestId(),
                        null,
                        null,
                        request.sequence(),
                        at,
                        "checkpoint " + request.checkpointId() + " from " + request.region() + " has sequence "
                                + request.sequence() + ", not greater than the stored " + stored.checkpointId()
                                + " (sequence " + stored.sequence() + ", from " + stored.region() + ")"));
    }

    /** A stored checkpoint found expired by a newer write: audited; the write that follows replaces it. */
    private void expired(Record<String, byte[]> record, StoredCheckpoint stored, Instant at) {
        audit(record, expiredAudit(stored, at));
    }

    /** The purge deleted {@code stored}: a tombstone on the checkpoints topic and an audit record. */
    private void purged(StoredCheckpoint stored, long now) {
        context.forward(new Record<Object, Object>(stored.sessionId(), null, now), CheckpointNodes.CHECKPOINTS_SINK);
        AuditRecord audit = expiredAudit(stored, Instant.ofEpochMilli(now));
        context.forward(new Record<Object, Object>(stored.sessionId(), audit, now), CheckpointNodes.AUDIT_SINK);
    }

    private static AuditRecord expiredAudit(StoredCheckpoint stored, Instant at) {
        return new AuditRecord(
                AuditRecord.Decision.CHECKPOINT_EXPIRED,
                stored.sessionId(),
                stored.requestId(),
                null,
                null,
                stored.sequence(),
                at,
                "checkpoint " + stored.checkpointId() + " expired at " + stored.expiresAt());
    }

    private void deadLetter(Record<String, byte[]> poison, SerializationException error) {
        Record<String, byte[]> record = poison.withTimestamp(context.currentSystemTimeMs());
        if (poison.key() != null) {
            MDC.put("session_id", poison.key()); // the record key is the session id
        }
        try {
            LOG.warn(
                    "dead-lettering checkpoint record {}: {}",
                    context.recordMetadata().map(Object::toString).orElse("?"),
                    error.getMessage());
        } finally {
            MDC.remove("session_id");
        }
        byte[] key = record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8);
        context.forward(
                new Record<Object, Object>(
                        key,
                        record.value(),
                        record.timestamp(),
                        DeadLetters.headers(record.headers(), error, context.recordMetadata())),
                CheckpointNodes.DEAD_LETTER_SINK);
        if (record.key() != null) {
            audit(
                    record,
                    new AuditRecord(
                            AuditRecord.Decision.REJECTED,
                            record.key(),
                            null,
                            null,
                            null,
                            null,
                            Instant.ofEpochMilli(record.timestamp()),
                            "checkpoint: " + error.getMessage()));
        }
    }

    private void audit(Record<String, byte[]> record, AuditRecord audit) {
        context.forward(record.withKey(audit.sessionId()).withValue(audit), CheckpointNodes.AUDIT_SINK);
    }
}
