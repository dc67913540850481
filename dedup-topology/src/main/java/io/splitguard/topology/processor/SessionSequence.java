package io.splitguard.topology.processor;

import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * What the topology keeps per session in {@link DedupNodes#SEQUENCE_STORE}: the epoch the session's
 * sequence started in, the last sequence issued, and when (this pipeline's clock) the session last
 * had a mutation applied, which decides when an idle session is purged.
 *
 * @param epoch the processing time (ms) at which this run of sequences started; 0 for sessions
 *     stored before epochs existed
 * @param lastSequence the last sequence issued in the epoch (sequences start at 1)
 * @param lastActivityMs when the last sequence was issued, or {@link #UNKNOWN_ACTIVITY} for a value
 *     stored before activity was recorded (the purger dates it when it first sees it)
 */
public record SessionSequence(long epoch, long lastSequence, long lastActivityMs) {

    public static final long UNKNOWN_ACTIVITY = -1;

    private static final int SIZE = 3 * Long.BYTES;

    /** The first sequence of a session that has none (new, or purged after idling past the horizon). */
    public static SessionSequence start(long now) {
        return new SessionSequence(now, 1, now);
    }

    public SessionSequence next(long now) {
        return new SessionSequence(epoch, lastSequence + 1, now);
    }

    public SessionSequence datedAt(long now) {
        return new SessionSequence(epoch, lastSequence, now);
    }

    /**
     * Three big-endian longs. A value of one long is what the store held before epochs existed (the
     * last sequence alone): it reads as epoch 0 with unknown activity, so upgrading keeps every fence.
     */
    public static Serde<SessionSequence> serde() {
        Serializer<SessionSequence> serializer = (topic, v) -> v == null
                ? null
                : ByteBuffer.allocate(SIZE)
                        .putLong(v.epoch)
                        .putLong(v.lastSequence)
                        .putLong(v.lastActivityMs)
                        .array();
        Deserializer<SessionSequence> deserializer = (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            ByteBuffer b = ByteBuffer.wrap(bytes);
            if (bytes.length == Long.BYTES) {
                return new SessionSequence(0, b.getLong(), UNKNOWN_ACTIVITY);
            }
            if (bytes.length != SIZE) {
                throw new SerializationException("a session sequence is " + SIZE + " bytes, got " + bytes.length);
            }
            return new SessionSequence(b.getLong(), b.getLong(), b.getLong());
        };
        return Serdes.serdeFrom(serializer, deserializer);
    }
}
