package io.splitguard.topology.processor;

import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.LeaseCommand;
import io.splitguard.schemas.model.LeaseDecision;
import io.splitguard.schemas.model.LeaseDecision.Outcome;
import io.splitguard.schemas.model.LeaseDecision.PreviousHolder;
import io.splitguard.schemas.model.LeaseState;
import io.splitguard.schemas.model.LeaseView;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Decides lease commands (acquire, heartbeat, release; describe, an operator's read) for the resources of the partition its task
 * owns. One task owns a partition at a time and, under exactly-once, a fenced zombie's decisions and
 * store writes are aborted, so a resource's leases are decided by a single writer, in the order the
 * gateway's commands were appended.
 *
 * <p><b>Clock.</b> "Now" is this instance's wall clock ({@code currentSystemTimeMs}), for every
 * expiry, staleness and lock-delay. The gateway's {@code received_at} and the record timestamp decide
 * nothing.
 *
 * <p><b>Fencing token.</b> A grant's fencing token is one more than the offset of the granting acquire
 * on lease-commands (never 0, which clients may read as "no token"). Offsets increase strictly within a partition, and a resource always maps to the same
 * partition, so a resource's tokens increase strictly across grants, overrides, restarts, rebalances
 * and a lost store, without any counter that a restore could rewind; reprocessing a command under
 * exactly-once gives it the same offset and so the same token.
 *
 * <p><b>Expiry.</b> A lease is over from its {@code expires_at}, whether or not the sweep has run: a
 * command that finds an expired lease treats it as expired first. The sweep, a wall-clock punctuation,
 * frees and audits expired leases without any command and deletes entries whose lock-delay has passed,
 * so the store holds live leases and running lock-delays only.
 *
 * <p>Values arrive as raw bytes: what cannot be read, or whose key is not its resource id, is
 * dead-lettered with the reason in headers. Any other error fails the task.
 */
public final class LeaseProcessor implements Processor<String, byte[], Object, Object> {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseProcessor.class);

    /** Entries each sweep looks at, at most. */
    static final int SWEEP_BATCH = 10_000;

    /**
     * The shortest time between two commits this processor asks for. A decision reaches the waiting
     * gateway only once the task's transaction commits (the gateway reads decisions read-committed), so
     * waiting for the commit interval (100 ms) would be most of a lease round trip; asking for a commit
     * after a decision cuts that wait, and this gap bounds the extra commits (50 a second at most) when
     * lease commands arrive all the time.
     */
    static final long EAGER_COMMIT_GAP_MS = 20;

    private final JsonSerde<LeaseCommand> commandSerde;
    private final LeaseRules rules;
    private ProcessorContext<Object, Object> context;
    private KeyValueStore<String, LeaseState> leases;
    private String sweepCursor;
    private long lastCommitRequestMs = Long.MIN_VALUE;

    public LeaseProcessor(JsonSerde<LeaseCommand> commandSerde, LeaseRules rules) {
        this.commandSerde = Objects.requireNonNull(commandSerde, "commandSerde");
        this.rules = Objects.requireNonNull(rules, "rules");
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.context = context;
        this.leases = context.getStateStore(DedupNodes.LEASE_STORE);
        context.schedule(rules.purgeInterval(), PunctuationType.WALL_CLOCK_TIME, this::sweep);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        LeaseCommand command;
        try {
            command = parse(record);
        } catch (SerializationException e) {
            deadLetter(record, e);
            return;
        }
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        long offset = context.recordMetadata()
                        .orElseThrow(() -> new IllegalStateException("a lease command without record metadata"))
                        .offset()
                + 1;
        Current current = settle(leases.get(command.resourceId()), now);
        Decided decided =
                switch (command.type()) {
                    case ACQUIRE -> acquire(command, current, now, offset);
                    case HEARTBEAT -> heartbeat(command, current, now);
                    case RELEASE -> release(command, current, now);
                    case DESCRIBE -> describe(command, current, now);
                };
        if (decided.state == null) {
            if (current.stored != null) {
                leases.delete(command.resourceId());
            }
        } else if (!decided.state.equals(current.stored)) {
            leases.put(command.resourceId(), decided.state);
        }
        for (AuditRecord audit : current.audits) {
            emitAudit(audit, now);
        }
        for (AuditRecord audit : decided.audits) {
            emitAudit(audit, now);
        }
        context.forward(
                new Record<Object, Object>(command.resourceId(), decided.decision, now.toEpochMilli()),
                DedupNodes.LEASE_DECISIONS_SINK);
        requestCommit();
    }

    /** Asks Kafka Streams to commit soon (a request, not a commit), at most once per {@link #EAGER_COMMIT_GAP_MS}. */
    private void requestCommit() {
        long now = context.currentSystemTimeMs();
        if (lastCommitRequestMs == Long.MIN_VALUE || now - lastCommitRequestMs >= EAGER_COMMIT_GAP_MS) {
            lastCommitRequestMs = now;
            context.commit();
        }
    }

    private LeaseCommand parse(Record<String, byte[]> record) {
        if (record.key() == null) {
            throw new SerializationException("record has no key; lease commands are keyed by resource id");
        }
        LeaseCommand command = commandSerde.fromBytes(record.value());
        if (command == null) {
            throw new SerializationException("record has no value");
        }
        if (!record.key().equals(command.resourceId())) {
            throw new SerializationException(
                    "record key '" + record.key() + "' is not the resource id '" + command.resourceId() + "'");
        }
        return command;
    }

    /** A resource's lease as of {@code now}, with what ended on the way (audited with the decision). */
    private record Current(LeaseState stored, LeaseState state, boolean grantable, List<AuditRecord> audits) {}

    /** A decision, the state it leaves and its audit records. */
    private record Decided(LeaseDecision decision, LeaseState state, List<AuditRecord> audits) {}

    /**
     * The stored lease brought to {@code now}: a held lease past its expiry has expired (lock-delay from
     * its expiry); a lock-delay that has passed leaves the resource free ({@code grantable}). The free
     * entry is kept, with the latest fencing token, for the fence retention, so that writes with an older
     * token are still fenced; after an override at least until {@link #keepOverrideUntil}, so that the
     * next grant reports the override.
     */
    private Current settle(LeaseState stored, Instant now) {
        List<AuditRecord> audits = new ArrayList<>();
        LeaseState state = stored;
        if (state != null && state.isHeld() && !now.isBefore(state.expiresAt())) {
            audits.add(expired(state));
            state = LeaseState.cooling(
                    state.resourceId(), state.fencingToken(), state.expiresAt().plus(rules.lockDelay()));
        }
        boolean grantable = state == null;
        if (state != null && !state.isHeld() && !now.isBefore(state.blockedUntil())) {
            grantable = true;
            Instant keepUntil = state.blockedUntil().plus(rules.fenceRetention());
            if (state.previous() != null && keepOverrideUntil(state).isAfter(keepUntil)) {
                keepUntil = keepOverrideUntil(state);
            }
            if (!now.isBefore(keepUntil)) {
                state = null;
            }
        }
        return new Current(stored, state, grantable, audits);
    }

    /**
     * How long an override's entry is kept once its lock-delay has passed: until the overridden lease
     * would have expired, and at least one stale threshold after the delay, so the overrider's retry
     * after {@code retry_after_ms} finds it and its grant reports {@code overrode}.
     */
    private Instant keepOverrideUntil(LeaseState cooling) {
        Instant graceEnd = cooling.blockedUntil().plus(rules.staleThreshold());
        return cooling.expiresAt().isAfter(graceEnd) ? cooling.expiresAt() : graceEnd;
    }

    private Decided acquire(LeaseCommand command, Current current, Instant now, long offset) {
        LeaseState state = current.state;
        if (current.grantable) {
            boolean reportOverride =
                    state != null && state.previous() != null && now.isBefore(keepOverrideUntil(state));
            return grant(command, now, offset, reportOverride ? state.previous() : null);
        }
        if (state.isHeld()) {
            boolean sameHolder = state.holderRegion().equals(command.regionOrigin());
            if (sameHolder && state.correlationId().equals(command.correlationId())) {
                // A retry of the acquisition that holds the lease: the same grant, nothing extended.
                return new Decided(
                        decision(command, Outcome.GRANTED, state, state.lockToken(), null, null, now),
                        state,
                        List.of());
            }
            Instant staleAt = state.lastHeartbeatAt().plus(rules.staleThreshold());
            if (sameHolder || now.isBefore(staleAt)) {
                Instant earliest = sameHolder || staleAt.isAfter(state.expiresAt()) ? state.expiresAt() : staleAt;
                long retryAfter = earliest.plus(rules.lockDelay()).toEpochMilli() - now.toEpochMilli();
                return refused(command, Outcome.CONFLICT, state, state.expiresAt(), retryAfter, now);
            }
            // Another region finds a stale holder: the holder's lease ends now.
            AuditRecord overridden = new AuditRecord(
                    AuditRecord.Decision.LEASE_OVERRIDDEN,
                    state.resourceId(),
                    command.requestId(),
                    null,
                    null,
                    state.fencingToken(),
                    now,
                    "holder_region=" + state.holderRegion() + " last_heartbeat_at=" + state.lastHeartbeatAt()
                            + " overridden_by=" + command.regionOrigin() + " lock_delay_until="
                            + now.plus(rules.lockDelay()));
            if (rules.lockDelay().isZero()) {
                Decided granted = grant(command, now, offset, state.asPrevious());
                return new Decided(granted.decision, granted.state, prepend(overridden, granted.audits));
            }
            LeaseState cooling = LeaseState.overridden(state, now.plus(rules.lockDelay()));
            Decided conflict = refused(
                    command,
                    Outcome.CONFLICT,
                    cooling,
                    cooling.blockedUntil(),
                    rules.lockDelay().toMillis(),
                    now);
            return new Decided(conflict.decision, cooling, prepend(overridden, conflict.audits));
        }
        // A lock-delay runs: nothing is granted before it ends.
        long retryAfter = state.blockedUntil().toEpochMilli() - now.toEpochMilli();
        return refused(command, Outcome.CONFLICT, state, state.blockedUntil(), retryAfter, now);
    }

    private Decided grant(LeaseCommand command, Instant now, long offset, PreviousHolder overridden) {
        long ttlMs = Math.min(command.lockTtlMs(), rules.maxTtl().toMillis());
        LeaseState granted = LeaseState.granted(
                command.resourceId(),
                offset,
                command.regionOrigin(),
                UUID.randomUUID().toString(),
                command.correlationId(),
                command.operationType(),
                ttlMs,
                now);
        AuditRecord audit = new AuditRecord(
                AuditRecord.Decision.LEASE_GRANTED,
                command.resourceId(),
                command.requestId(),
                null,
                null,
                granted.fencingToken(),
                now,
                "holder_region=" + granted.holderRegion() + " correlation_id=" + granted.correlationId()
                        + " expires_at=" + granted.expiresAt()
                        + (command.operationType() == null ? "" : " operation_type=" + command.operationType())
                        + (overridden == null
                                ? ""
                                : " overrode=" + overridden.holderRegion() + "@" + overridden.fencingToken()));
        return new Decided(
                decision(command, Outcome.GRANTED, granted, granted.lockToken(), null, overridden, now),
                granted,
                List.of(audit));
    }

    private Decided heartbeat(LeaseCommand command, Current current, Instant now) {
        LeaseState state = current.state;
        if (state != null && state.isHeld() && state.lockToken().equals(command.lockToken())) {
            LeaseState extended = state.heartbeatAt(now);
            return new Decided(
                    decision(command, Outcome.EXTENDED, extended, extended.lockToken(), null, null, now),
                    extended,
                    List.of());
        }
        return refused(command, Outcome.LOST, state, heldUntil(state), null, now);
    }

    private Decided release(LeaseCommand command, Current current, Instant now) {
        LeaseState state = current.state;
        if (state != null && state.isHeld() && state.lockToken().equals(command.lockToken())) {
            AuditRecord audit = new AuditRecord(
                    AuditRecord.Decision.LEASE_RELEASED,
                    state.resourceId(),
                    command.requestId(),
                    null,
                    null,
                    state.fencingToken(),
                    now,
                    "holder_region=" + state.holderRegion());
            LeaseDecision released = new LeaseDecision(
                    command.requestId(),
                    state.correlationId(),
                    state.resourceId(),
                    command.type(),
                    Outcome.RELEASED,
                    null,
                    state.fencingToken(),
                    state.holderRegion(),
                    null,
                    null,
                    null,
                    now);
            // free at once; the token stays as a fence for the fence retention
            LeaseState free = rules.fenceRetention().isZero()
                    ? null
                    : LeaseState.cooling(state.resourceId(), state.fencingToken(), now);
            return new Decided(released, free, List.of(audit));
        }
        return refused(command, Outcome.NOT_HOLDER, state, heldUntil(state), null, now);
    }

    /**
     * An operator's question: the lease as it stands once brought to {@code now}, decided in order with
     * every other command on the resource. Nothing is granted, extended or audited; the lock token is
     * never told.
     */
    private Decided describe(LeaseCommand command, Current current, Instant now) {
        LeaseState state = current.state;
        LeaseView view;
        if (state == null) {
            view = LeaseView.free();
        } else if (state.isHeld()) {
            view = new LeaseView(
                    LeaseView.State.HELD,
                    state.holderRegion(),
                    state.fencingToken(),
                    state.operationType(),
                    state.correlationId(),
                    state.grantedAt(),
                    state.lastHeartbeatAt(),
                    state.expiresAt(),
                    state.lastHeartbeatAt().plus(rules.staleThreshold()),
                    null,
                    null);
        } else {
            view = new LeaseView(
                    current.grantable ? LeaseView.State.FREE : LeaseView.State.COOLING,
                    null,
                    state.fencingToken(),
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    current.grantable ? null : state.blockedUntil(),
                    state.previous() == null ? null : state.previous().holderRegion());
        }
        LeaseDecision described = new LeaseDecision(
                command.requestId(),
                view.correlationId(),
                command.resourceId(),
                command.type(),
                Outcome.DESCRIBED,
                null,
                view.fencingToken(),
                view.holderRegion(),
                view.expiresAt(),
                null,
                null,
                now,
                view);
        return new Decided(described, state, List.of());
    }

    /**
     * A refusal: the state stays as it is. The answer names the holder, or during a lock-delay the
     * overridden holder, but never a token.
     */
    private Decided refused(
            LeaseCommand command, Outcome outcome, LeaseState state, Instant until, Long retryAfterMs, Instant now) {
        String holder = null;
        if (state != null && state.isHeld()) {
            holder = state.holderRegion();
        } else if (state != null && until != null && state.previous() != null) {
            holder = state.previous().holderRegion();
        }
        LeaseDecision refusal = new LeaseDecision(
                command.requestId(),
                command.correlationId(),
                command.resourceId(),
                command.type(),
                outcome,
                null,
                null,
                holder,
                until,
                retryAfterMs == null ? null : Math.max(0, retryAfterMs),
                null,
                now);
        AuditRecord audit = new AuditRecord(
                AuditRecord.Decision.LEASE_REFUSED,
                command.resourceId(),
                command.requestId(),
                null,
                null,
                state == null ? null : state.fencingToken(),
                now,
                outcome.wireName() + ": " + command.type().wireName() + " from "
                        + (command.regionOrigin() == null ? "the caller" : command.regionOrigin())
                        + (holder == null ? "" : "; holder_region=" + holder)
                        + (until == null ? "" : " until " + until));
        return new Decided(refusal, state, List.of(audit));
    }

    private static Instant heldUntil(LeaseState state) {
        return state != null && state.isHeld() ? state.expiresAt() : null;
    }

    private static LeaseDecision decision(
            LeaseCommand command,
            Outcome outcome,
            LeaseState lease,
            String lockToken,
            Long retryAfterMs,
            PreviousHolder overrode,
            Instant now) {
        return new LeaseDecision(
                command.requestId(),
                command.correlationId() != null ? command.correlationId() : lease.correlationId(),
                lease.resourceId(),
                command.type(),
                outcome,
                lockToken,
                lease.fencingToken(),
                lease.holderRegion(),
                lease.expiresAt(),
                retryAfterMs,
                overrode,
                now);
    }

    private AuditRecord expired(LeaseState state) {
        return new AuditRecord(
                AuditRecord.Decision.LEASE_EXPIRED,
                state.resourceId(),
                null,
                null,
                null,
                state.fencingToken(),
                state.expiresAt(),
                "holder_region=" + state.holderRegion() + " last_heartbeat_at=" + state.lastHeartbeatAt()
                        + " lock_delay_until=" + state.expiresAt().plus(rules.lockDelay()));
    }

    private static List<AuditRecord> prepend(AuditRecord first, List<AuditRecord> rest) {
        List<AuditRecord> all = new ArrayList<>(rest.size() + 1);
        all.add(first);
        all.addAll(rest);
        return all;
    }

    /**
     * Frees expired leases (audited) and deletes finished lock-delays, at most {@link #SWEEP_BATCH}
     * entries per run, resuming where the last run stopped.
     */
    void sweep(long nowMs) {
        Instant now = Instant.ofEpochMilli(nowMs);
        List<KeyValue<String, LeaseState>> changed = new ArrayList<>();
        List<AuditRecord> audits = new ArrayList<>();
        int seen = 0;
        String last = null;
        try (KeyValueIterator<String, LeaseState> it = leases.range(sweepCursor, null)) {
            while (it.hasNext() && seen < SWEEP_BATCH) {
                KeyValue<String, LeaseState> entry = it.next();
                if (entry.key.equals(sweepCursor)) {
                    continue; // judged by the previous run
                }
                seen++;
                last = entry.key;
                Current current = settle(entry.value, now);
                audits.addAll(current.audits);
                if (current.state == null) {
                    changed.add(KeyValue.pair(entry.key, null));
                } else if (!current.state.equals(entry.value)) {
                    changed.add(KeyValue.pair(entry.key, current.state));
                }
            }
        }
        sweepCursor = seen < SWEEP_BATCH ? null : last;
        for (KeyValue<String, LeaseState> change : changed) {
            if (change.value == null) {
                leases.delete(change.key);
            } else {
                leases.put(change.key, change.value);
            }
        }
        audits.forEach(audit -> emitAudit(audit, now));
        if (!audits.isEmpty()) {
            LOG.debug("swept {} expired leases", audits.size());
        }
    }

    private void emitAudit(AuditRecord audit, Instant now) {
        context.forward(
                new Record<Object, Object>(audit.sessionId(), audit, now.toEpochMilli()), DedupNodes.AUDIT_SINK);
    }

    private void deadLetter(Record<String, byte[]> poison, SerializationException error) {
        long now = context.currentSystemTimeMs();
        if (poison.key() != null) {
            MDC.put("resource_id", poison.key());
        }
        try {
            LOG.warn(
                    "dead-lettering lease command {}: {}",
                    context.recordMetadata().map(Object::toString).orElse("?"),
                    error.getMessage());
        } finally {
            MDC.remove("resource_id");
        }
        byte[] key = poison.key() == null ? null : poison.key().getBytes(StandardCharsets.UTF_8);
        context.forward(
                new Record<Object, Object>(
                        key,
                        poison.value(),
                        now,
                        DeadLetters.headers(poison.headers(), error, context.recordMetadata())),
                DedupNodes.DEAD_LETTER_SINK);
        if (poison.key() != null) {
            emitAudit(
                    new AuditRecord(
                            AuditRecord.Decision.REJECTED,
                            poison.key(),
                            null,
                            null,
                            null,
                            null,
                            Instant.ofEpochMilli(now),
                            "lease command: " + error.getMessage()),
                    Instant.ofEpochMilli(now));
        }
    }
}
