package io.splitguard.checkpoint.processor;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The partitions whose active task is running on this instance, each with the generation of the task
 * incarnation that serves it. A partition enters when its processor is initialised (Kafka Streams does
 * that only once the task's store is fully restored) and leaves when the processor is closed (before a
 * task is suspended, migrated, or closed dirty and its store wiped under exactly-once).
 *
 * <p>Interactive queries need this because "active" is not "restored": Kafka Streams answers a query
 * that requires the active copy from a task still restoring in its state updater, whose store may have
 * just been wiped and hold nothing or an older value. A read is trusted only when the partition was
 * served by the same incarnation before and after it ({@link #generation}, compared around the read):
 * a store wiped during the read belongs to an incarnation that was closed first.
 */
public final class ServingPartitions {

    /** No incarnation: the partition is not served here. */
    public static final long NOT_SERVING = 0;

    private final Map<Integer, Long> serving = new ConcurrentHashMap<>();
    private final AtomicLong generations = new AtomicLong();

    /** Records that {@code partition}'s task started running; returns its incarnation's generation. */
    long started(int partition) {
        long generation = generations.incrementAndGet();
        serving.put(partition, generation);
        return generation;
    }

    /** Records that the incarnation {@code generation} of {@code partition} stopped (a later one stays). */
    void stopped(int partition, long generation) {
        serving.remove(partition, generation);
    }

    /** The generation serving {@code partition} now, or {@link #NOT_SERVING}. */
    public long generation(int partition) {
        return serving.getOrDefault(partition, NOT_SERVING);
    }

    /** Every partition served now, with its generation. */
    public Map<Integer, Long> snapshot() {
        return Map.copyOf(serving);
    }

    @Override
    public String toString() {
        return "ServingPartitions" + serving;
    }
}
