package io.splitguard.topology.processor;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes sessions that had no mutation applied for longer than the idle horizon from the sequence
 * store (a tombstone in its changelog each), so the store and the restore after a failover are
 * bounded by the live sessions, not by history.
 *
 * <p>Runs as a wall-clock punctuation of the task that owns the sessions, so it never races the
 * processor. Each run walks at most {@code batch} entries, resuming where the last run stopped and
 * wrapping around at the end, so a punctuation costs a bounded time however many sessions there are.
 *
 * <p>A session written again after its purge starts a new epoch (the processing time), which is
 * greater than the purged epoch as long as the horizon exceeds twice the instances' clock skew: the
 * sink's fence orders by (epoch, sequence), so the new sequence 1 passes it.
 */
public final class IdleSessionPurger implements Punctuator {

    private static final Logger LOG = LoggerFactory.getLogger(IdleSessionPurger.class);

    private final KeyValueStore<String, SessionSequence> sequences;
    private final long horizonMs;
    private final int batch;
    private String cursor;
    private long purged;

    public IdleSessionPurger(KeyValueStore<String, SessionSequence> sequences, long horizonMs, int batch) {
        this.sequences = Objects.requireNonNull(sequences, "sequences");
        if (horizonMs <= 0 || batch < 1) {
            throw new IllegalArgumentException("horizon and batch must be positive");
        }
        this.horizonMs = horizonMs;
        this.batch = batch;
    }

    @Override
    public void punctuate(long now) {
        List<String> idle = new ArrayList<>();
        List<KeyValue<String, SessionSequence>> undated = new ArrayList<>();
        int seen = 0;
        String last = null;
        try (KeyValueIterator<String, SessionSequence> it = sequences.range(cursor, null)) {
            while (it.hasNext() && seen < batch) {
                KeyValue<String, SessionSequence> entry = it.next();
                if (entry.key.equals(cursor)) {
                    continue; // where the previous run stopped: already judged
                }
                seen++;
                last = entry.key;
                SessionSequence s = entry.value;
                if (s.lastActivityMs() == SessionSequence.UNKNOWN_ACTIVITY) {
                    undated.add(KeyValue.pair(entry.key, s.datedAt(now)));
                } else if (now - s.lastActivityMs() > horizonMs) {
                    idle.add(entry.key);
                }
            }
        }
        cursor = seen < batch ? null : last;
        idle.forEach(sequences::delete);
        undated.forEach(kv -> sequences.put(kv.key, kv.value));
        purged += idle.size();
        if (!idle.isEmpty()) {
            LOG.info("purged {} sessions idle for more than {} ms ({} in all)", idle.size(), horizonMs, purged);
        }
    }

    /** Sessions this purger deleted since it was created. */
    public long purged() {
        return purged;
    }
}
