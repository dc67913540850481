package io.splitguard.checkpoint.processor;

import io.splitguard.schemas.model.StoredCheckpoint;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes expired checkpoints from the store (a tombstone in its changelog each) and reports each one,
 * so the store, its changelog and the restore after a failover are bounded by the live sessions.
 *
 * <p>Runs as a wall-clock punctuation of the task that owns the sessions, so it never races the
 * processor. Each run walks at most {@code batch} entries, resuming where the last run stopped and
 * wrapping around at the end: a punctuation costs a bounded time however many sessions there are, and
 * every entry is looked at within {@code ceil(entries / batch)} runs.
 */
public final class ExpiredCheckpointPurger implements Punctuator {

    private static final Logger LOG = LoggerFactory.getLogger(ExpiredCheckpointPurger.class);

    private final KeyValueStore<String, StoredCheckpoint> store;
    private final int batch;
    private final BiConsumer<StoredCheckpoint, Long> onExpired;
    private String cursor;
    private long purged;

    /**
     * @param onExpired told of each deleted checkpoint, with the punctuation time, after its deletion
     */
    public ExpiredCheckpointPurger(
            KeyValueStore<String, StoredCheckpoint> store, int batch, BiConsumer<StoredCheckpoint, Long> onExpired) {
        this.store = Objects.requireNonNull(store, "store");
        this.onExpired = Objects.requireNonNull(onExpired, "onExpired");
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be positive");
        }
        this.batch = batch;
    }

    @Override
    public void punctuate(long now) {
        Instant at = Instant.ofEpochMilli(now);
        List<KeyValue<String, StoredCheckpoint>> expired = new ArrayList<>();
        int seen = 0;
        String last = null;
        try (KeyValueIterator<String, StoredCheckpoint> it = store.range(cursor, null)) {
            while (it.hasNext() && seen < batch) {
                KeyValue<String, StoredCheckpoint> entry = it.next();
                if (entry.key.equals(cursor)) {
                    continue; // where the previous run stopped: already judged
                }
                seen++;
                last = entry.key;
                if (entry.value.isExpiredAt(at)) {
                    expired.add(entry);
                }
            }
        }
        cursor = seen < batch ? null : last;
        for (KeyValue<String, StoredCheckpoint> entry : expired) {
            store.delete(entry.key);
            onExpired.accept(entry.value, now);
        }
        purged += expired.size();
        if (!expired.isEmpty()) {
            LOG.info("purged {} expired checkpoints ({} in all)", expired.size(), purged);
        }
    }

    /** Checkpoints this purger deleted since it was created. */
    public long purged() {
        return purged;
    }
}
