package io.splitguard.topology.processor;

import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.json.PayloadHash;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.IdempotencyOutcome;
import io.splitguard.schemas.model.LeaseState;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.model.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Decides, for each delivery of a mutation, whether it is the first one of its scoped idempotency
 * key (applied: stamped with the session's next sequence number), a duplicate, or a conflict.
 *
 * <p>Runs in the one task that owns the session's partition, so there is exactly one writer of a
 * session's sequence at any time; with exactly-once processing the store updates and all outputs of
 * a record commit atomically, and a fenced zombie's outputs are aborted.
 *
 * <p>Values arrive as raw bytes and are parsed here, so a poison record becomes a dead letter with
 * its error in headers instead of stopping the task.
 */
public final class DedupProcessor implements Processor<String, byte[], Object, Object> {

    private static final Logger LOG = LoggerFactory.getLogger(DedupProcessor.class);

    private final JsonSerde<MutationRequest> requestSerde;
    private final long windowMs;
    private final long skewMs;
    private final Duration idleHorizon;
    private final Duration purgeInterval;
    private ProcessorContext<Object, Object> context;
    private WindowStore<String, IdempotencyOutcome> keys;
    private KeyValueStore<String, SessionSequence> sequences;
    private KeyValueStore<String, LeaseState> leases;

    /** Sessions each purge punctuation looks at, at most. */
    static final int PURGE_BATCH = 10_000;

    /** With the default idle horizon (2 days) and purge interval (1 minute). */
    public DedupProcessor(JsonSerde<MutationRequest> requestSerde, Duration window, Duration instanceSkew) {
        this(requestSerde, window, instanceSkew, Duration.ofDays(2), Duration.ofMinutes(1));
    }

    /**
     * @param window how long a key is remembered, measured on this processing instance's clock
     * @param instanceSkew how far the clocks of the topology instances (which take over each other's
     *     partitions) may disagree; lookups reach this far beyond the window in both directions
     * @param idleHorizon a session with no mutation applied for this long (this pipeline's clock) is
     *     purged from the sequence store; its next mutation starts a new epoch. Must exceed twice the
     *     instance skew, so a new epoch is always greater than the purged one.
     * @param purgeInterval how often (wall clock) the purge punctuation runs
     */
    public DedupProcessor(
            JsonSerde<MutationRequest> requestSerde,
            Duration window,
            Duration instanceSkew,
            Duration idleHorizon,
            Duration purgeInterval) {
        this.requestSerde = Objects.requireNonNull(requestSerde, "requestSerde");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window must be positive");
        }
        if (instanceSkew.isNegative()) {
            throw new IllegalArgumentException("instance skew must not be negative");
        }
        if (idleHorizon.compareTo(instanceSkew.multipliedBy(2)) <= 0) {
            throw new IllegalArgumentException("the session idle horizon (" + idleHorizon
                    + ") must exceed twice the instance clock skew (" + instanceSkew + ")");
        }
        if (purgeInterval.isNegative() || purgeInterval.isZero()) {
            throw new IllegalArgumentException("purge interval must be positive");
        }
        this.windowMs = window.toMillis();
        this.skewMs = instanceSkew.toMillis();
        this.idleHorizon = idleHorizon;
        this.purgeInterval = purgeInterval;
    }

    /** How long the key store must retain entries for {@code window} to hold under {@code instanceSkew}. */
    public static Duration retention(Duration window, Duration instanceSkew) {
        return window.plus(instanceSkew.multipliedBy(2));
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.context = context;
        this.keys = context.getStateStore(DedupNodes.DEDUP_STORE);
        this.sequences = context.getStateStore(DedupNodes.SEQUENCE_STORE);
        this.leases = context.getStateStore(DedupNodes.LEASE_STORE);
        IdleSessionPurger purger = new IdleSessionPurger(sequences, idleHorizon.toMillis(), PURGE_BATCH);
        context.schedule(purgeInterval, PunctuationType.WALL_CLOCK_TIME, purger);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        MutationRequest request;
        try {
            request = parse(record);
        } catch (SerializationException e) {
            deadLetter(record, e);
            return;
        }
        // The pipeline's clock, never the sender's: the record timestamp was stamped by a gateway
        // (or, with LogAppendTime, by a broker) and must not decide how long a key is remembered.
        long now = context.currentSystemTimeMs();
        Instant decidedAt = Instant.ofEpochMilli(now);
        record = record.withTimestamp(now);
        Optional<IdempotencyOutcome> remembered = rememberedOutcome(request.scopedKey(), now);
        if (remembered.isEmpty()) {
            Optional<LeaseState> superseding = supersedingLease(request);
            if (superseding.isPresent()) {
                fence(record, request, superseding.get(), decidedAt);
            } else {
                apply(record, request, decidedAt);
            }
        } else if (isDuplicate(remembered.get(), request)) {
            report(record, remembered.get(), request, Verdict.DUPLICATE, decidedAt);
        } else {
            report(record, remembered.get(), request, Verdict.CONFLICT, decidedAt);
        }
    }

    /**
     * The session's lease (resource id = session id) when it was granted with a newer fencing token than
     * the one {@code request} carries: the writer lost the lease (override, expiry, release) and must not
     * write any more. The entry outlives the lease by the fence retention, so this holds while nobody
     * holds the lease too. A request without a token, or a session without a lease entry (never leased,
     * or last leased longer ago than the retention), is not fenced here (the sink still compares tokens
     * with the session's latest applied one).
     */
    private Optional<LeaseState> supersedingLease(MutationRequest request) {
        Long token = request.fencingToken();
        if (token == null) {
            return Optional.empty();
        }
        LeaseState lease = leases.get(request.sessionId());
        return lease != null && token < lease.fencingToken() ? Optional.of(lease) : Optional.empty();
    }

    /**
     * Refuses a first delivery whose fencing token is superseded: nothing is sequenced or emitted to the
     * mutations topic, the key is not remembered (a retry with a current token may still apply it), the
     * refusal is audited, and a {@code fenced} outcome tells the gateway.
     */
    private void fence(Record<String, byte[]> record, MutationRequest request, LeaseState lease, Instant decidedAt) {
        // the decision for a gateway waiting on this request (Prefer: wait); the key stays unremembered
        context.forward(
                record.withKey(request.scopedKey()).withValue(IdempotencyOutcome.fenced(request, decidedAt)),
                DedupNodes.OUTCOMES_SINK);
        audit(
                record,
                new AuditRecord(
                        AuditRecord.Decision.FENCED,
                        request.sessionId(),
                        request.requestId(),
                        request.scopedKey(),
                        request.payloadHash(),
                        request.fencingToken(),
                        decidedAt,
                        "fencing token " + request.fencingToken() + " is older than the session lease's "
                                + lease.fencingToken(),
                        rawHash(request)));
    }

    /** Same key and same payload hash as the applied delivery. */
    static boolean isDuplicate(IdempotencyOutcome applied, MutationRequest delivery) {
        return applied.payloadHash().equals(delivery.payloadHash());
    }

    private MutationRequest parse(Record<String, byte[]> record) {
        if (record.key() == null) {
            throw new SerializationException("record has no key; mutations are keyed by session id");
        }
        MutationRequest request = requestSerde.fromBytes(record.value());
        if (request == null) {
            throw new SerializationException("record has no value");
        }
        if (!record.key().equals(request.sessionId())) {
            throw new SerializationException(
                    "record key '" + record.key() + "' is not the session id '" + request.sessionId() + "'");
        }
        return request;
    }

    /**
     * The applied outcome of {@code scopedKey} if it was applied within the window before {@code now}
     * (this instance's clock). Entries were stamped by whichever instance applied them, so the lookup
     * reaches the allowed instance skew further back, and forward as far as the window (an instance
     * whose clock ran ahead may have stamped an entry "in the future").
     */
    private Optional<IdempotencyOutcome> rememberedOutcome(String scopedKey, long now) {
        long from = Math.max(0, now - windowMs - skewMs);
        long to = now > Long.MAX_VALUE - windowMs ? Long.MAX_VALUE : now + windowMs;
        try (WindowStoreIterator<IdempotencyOutcome> found = keys.fetch(scopedKey, from, to)) {
            return found.hasNext() ? Optional.of(found.next().value) : Optional.empty();
        }
    }

    private void apply(Record<String, byte[]> record, MutationRequest request, Instant decidedAt) {
        SessionSequence session = nextSequence(request.sessionId(), decidedAt.toEpochMilli());
        long sequence = session.lastSequence();
        SequencedMutation applied = SequencedMutation.applied(request, session.epoch(), sequence, decidedAt);
        IdempotencyOutcome outcome = IdempotencyOutcome.firstApplication(applied);
        rememberKey(request.scopedKey(), outcome, decidedAt.toEpochMilli());
        context.forward(record.withKey(request.sessionId()).withValue(applied), DedupNodes.MUTATIONS_SINK);
        context.forward(record.withKey(request.scopedKey()).withValue(outcome), DedupNodes.OUTCOMES_SINK);
        audit(
                record,
                new AuditRecord(
                        AuditRecord.Decision.APPLIED,
                        request.sessionId(),
                        request.requestId(),
                        request.scopedKey(),
                        request.payloadHash(),
                        sequence,
                        decidedAt,
                        null,
                        rawHash(request)));
    }

    /** For a derived key, the hash of the body exactly as sent (the comparison hash counts whole seconds). */
    private static String rawHash(MutationRequest request) {
        return request.keyDerived() ? PayloadHash.of(request.body()) : null;
    }

    private void report(
            Record<String, byte[]> record,
            IdempotencyOutcome applied,
            MutationRequest request,
            Verdict verdict,
            Instant decidedAt) {
        IdempotencyOutcome noted = applied.withLaterDelivery(request.requestId(), verdict, request.payloadHash());
        context.forward(record.withKey(request.scopedKey()).withValue(noted), DedupNodes.OUTCOMES_SINK);
        String detail = verdict == Verdict.CONFLICT
                ? "payload hash " + request.payloadHash() + " differs from the applied " + applied.payloadHash()
                : "already applied as sequence " + applied.sequence();
        audit(
                record,
                new AuditRecord(
                        AuditRecord.Decision.of(verdict),
                        request.sessionId(),
                        request.requestId(),
                        request.scopedKey(),
                        request.payloadHash(),
                        applied.sequence(),
                        decidedAt,
                        detail,
                        rawHash(request)));
    }

    /** The session's next sequence; a session with none (new, or purged while idle) starts an epoch now. */
    private SessionSequence nextSequence(String sessionId, long now) {
        SessionSequence last = sequences.get(sessionId);
        SessionSequence next = last == null ? SessionSequence.start(now) : last.next(now);
        sequences.put(sessionId, next);
        return next;
    }

    private void rememberKey(String scopedKey, IdempotencyOutcome outcome, long timestamp) {
        keys.put(scopedKey, outcome, timestamp);
    }

    private void deadLetter(Record<String, byte[]> poison, SerializationException error) {
        Record<String, byte[]> record = poison.withTimestamp(context.currentSystemTimeMs());
        if (poison.key() != null) {
            MDC.put("session_id", poison.key()); // the record key is the session id
        }
        try {
            LOG.warn(
                    "dead-lettering record {}: {}",
                    context.recordMetadata().map(Object::toString).orElse("?"),
                    error.getMessage());
        } finally {
            MDC.remove("session_id");
        }
        byte[] key = record.key() == null ? null : record.key().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        context.forward(
                new Record<Object, Object>(
                        key,
                        record.value(),
                        record.timestamp(),
                        DeadLetters.headers(record.headers(), error, context.recordMetadata())),
                DedupNodes.DEAD_LETTER_SINK);
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
                            error.getMessage()));
        }
    }

    private void audit(Record<String, byte[]> record, AuditRecord audit) {
        context.forward(record.withKey(audit.sessionId()).withValue(audit), DedupNodes.AUDIT_SINK);
    }
}
