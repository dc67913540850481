package io.splitguard.sink;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.atomic.AtomicLong;

/** The sink's meters. Names are stable: dashboards and tests read them. */
public final class SinkMetrics {

    public static final String WRITTEN = "splitguard.sink.records.written";
    public static final String BATCHES = "splitguard.sink.batches";
    public static final String REFUSED = "splitguard.sink.refused";
    /** Mutations whose scoped key already had a row (refusal reason {@code duplicate_key}). */
    public static final String REFUSED_DUPLICATES = "splitguard.sink.refused.duplicates";
    /** Refusals published to the audit topic (at least once: a re-publish counts again). */
    public static final String AUDIT_PUBLISHED = "splitguard.sink.audit.published";
    /** Audit sweeps that failed (database or broker); their rows are retried by the next sweep. */
    public static final String AUDIT_FAILURES = "splitguard.sink.audit.failures";
    /** Times a partition's stored offset was found already deleted by retention (records lost to the sink). */
    public static final String OFFSETS_LOST = "splitguard.sink.offsets.lost";
    /** Partitions this instance holds but does not read because their stored offset is out of range. */
    public static final String BLOCKED = "splitguard.sink.partitions.blocked";

    /** Checkpoints written to session_checkpoints (a refused one counts in {@link #REFUSED}). */
    public static final String CHECKPOINTS_WRITTEN = "splitguard.sink.checkpoints.written";
    /** Sessions whose checkpoint row a purge (tombstone) or the prune job deleted. */
    public static final String CHECKPOINTS_PURGED = "splitguard.sink.checkpoints.purged";

    public static final String DEAD_LETTERS = "splitguard.sink.dead.letters";
    public static final String FAILURES = "splitguard.sink.write.failures";
    public static final String PRUNED = "splitguard.sink.idempotency.pruned";
    public static final String SESSIONS_PRUNED = "splitguard.sink.sessions.pruned";
    public static final String BATCH_DURATION = "splitguard.sink.batch.duration";
    public static final String LAG = "splitguard.sink.lag";

    final Counter written;
    final Counter batches;
    final Counter refused;
    final Counter refusedDuplicates;
    final Counter auditPublished;
    final Counter auditFailures;
    final Counter offsetsLost;
    final AtomicLong blocked = new AtomicLong();
    final Counter checkpointsWritten;
    final Counter checkpointsPurged;
    final Counter deadLetters;
    final Counter failures;
    final Counter pruned;
    final Counter sessionsPruned;
    final Timer batchDuration;
    final AtomicLong lag = new AtomicLong();

    SinkMetrics(MeterRegistry registry) {
        written = Counter.builder(WRITTEN)
                .description("mutations written to crm_contact_updates / idempotency_store")
                .register(registry);
        batches = Counter.builder(BATCHES).description("committed batches").register(registry);
        refused = Counter.builder(REFUSED)
                .description(
                        "mutations refused by the sequence / fencing-token fence, checkpoints not newer than the stored one")
                .register(registry);
        refusedDuplicates = Counter.builder(REFUSED_DUPLICATES)
                .description("mutations refused because their scoped key was already applied")
                .register(registry);
        auditPublished = Counter.builder(AUDIT_PUBLISHED)
                .description("refusals published to the audit topic")
                .register(registry);
        auditFailures = Counter.builder(AUDIT_FAILURES)
                .description("audit publishing sweeps that failed and will be retried")
                .register(registry);
        offsetsLost = Counter.builder(OFFSETS_LOST)
                .description("stored offsets found below the partition's log start offset (deleted by retention)")
                .register(registry);
        Gauge.builder(BLOCKED, blocked, AtomicLong::get)
                .description("assigned partitions not read because their stored offset is out of range")
                .register(registry);
        checkpointsWritten = Counter.builder(CHECKPOINTS_WRITTEN)
                .description("checkpoints written to session_checkpoints")
                .register(registry);
        checkpointsPurged = Counter.builder(CHECKPOINTS_PURGED)
                .description("session_checkpoints rows deleted by a purge on the topic or by the prune job")
                .register(registry);
        deadLetters = Counter.builder(DEAD_LETTERS)
                .description("records written to sink_dead_letters")
                .register(registry);
        failures = Counter.builder(FAILURES)
                .description("batches rolled back on a database error")
                .register(registry);
        pruned = Counter.builder(PRUNED)
                .description("expired idempotency_store rows deleted")
                .register(registry);
        sessionsPruned = Counter.builder(SESSIONS_PRUNED)
                .description("session_sequences marks of sessions idle past the horizon deleted")
                .register(registry);
        batchDuration = Timer.builder(BATCH_DURATION)
                .description("time to write and commit one batch")
                .register(registry);
        Gauge.builder(LAG, lag, AtomicLong::get)
                .description("records behind the end of the assigned partitions, at the last poll")
                .register(registry);
    }
}
