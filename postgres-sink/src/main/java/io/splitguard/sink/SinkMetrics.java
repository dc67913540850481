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
    public static final String DEAD_LETTERS = "splitguard.sink.dead.letters";
    public static final String FAILURES = "splitguard.sink.write.failures";
    public static final String PRUNED = "splitguard.sink.idempotency.pruned";
    public static final String BATCH_DURATION = "splitguard.sink.batch.duration";
    public static final String LAG = "splitguard.sink.lag";

    final Counter written;
    final Counter batches;
    final Counter refused;
    final Counter deadLetters;
    final Counter failures;
    final Counter pruned;
    final Timer batchDuration;
    final AtomicLong lag = new AtomicLong();

    SinkMetrics(MeterRegistry registry) {
        written = Counter.builder(WRITTEN)
                .description("mutations written to crm_contact_updates / idempotency_store")
                .register(registry);
        batches = Counter.builder(BATCHES).description("committed batches").register(registry);
        refused = Counter.builder(REFUSED)
                .description("mutations refused by the sequence / fencing-token fence")
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
        batchDuration = Timer.builder(BATCH_DURATION)
                .description("time to write and commit one batch")
                .register(registry);
        Gauge.builder(LAG, lag, AtomicLong::get)
                .description("records behind the end of the assigned partitions, at the last poll")
                .register(registry);
    }
}
