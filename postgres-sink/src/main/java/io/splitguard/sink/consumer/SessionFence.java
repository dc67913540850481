package io.splitguard.sink.consumer;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The fencing rule, applied in record order over the high-water marks read (and locked) from
 * {@code session_sequences}: a mutation is written only when its {@code (session epoch, sequence)} is
 * greater than the session's stored one (epoch first: a session the topology purged while idle
 * restarts at sequence 1 in a later epoch) and, when both carry a fencing token, its token is not
 * older than the stored one. A refused record changes nothing.
 */
public final class SessionFence {

    /** A session's stored high-water mark; epoch 0 and sequence 0 mean nothing was applied yet. */
    public record Mark(long epoch, long sequence, Long fencingToken) {
        public static final Mark NONE = new Mark(0, 0, null);

        /** Whether {@code (epoch, sequence)} comes after this mark. */
        boolean isBefore(long otherEpoch, long otherSequence) {
            return epoch != otherEpoch ? epoch < otherEpoch : sequence < otherSequence;
        }
    }

    public enum Reason {
        SEQUENCE_NOT_GREATER("sequence_not_greater"),
        STALE_FENCING_TOKEN("stale_fencing_token");

        private final String code;

        Reason(String code) {
            this.code = code;
        }

        /** The value stored in {@code sink_refusals.reason}. */
        public String code() {
            return code;
        }
    }

    /** @param reason null when accepted; {@code stored} is the mark the record was judged against */
    public record Decision(boolean accepted, Reason reason, Mark stored) {}

    private final Map<String, Mark> marks;
    private final Map<String, Mark> advanced = new LinkedHashMap<>();

    public SessionFence(Map<String, Mark> stored) {
        this.marks = new HashMap<>(stored);
    }

    public Decision offer(String sessionId, long epoch, long sequence, Long fencingToken) {
        Objects.requireNonNull(sessionId, "sessionId");
        Mark stored = marks.getOrDefault(sessionId, Mark.NONE);
        if (!stored.isBefore(epoch, sequence)) {
            return new Decision(false, Reason.SEQUENCE_NOT_GREATER, stored);
        }
        if (fencingToken != null && stored.fencingToken() != null && fencingToken < stored.fencingToken()) {
            return new Decision(false, Reason.STALE_FENCING_TOKEN, stored);
        }
        Long token = fencingToken != null ? fencingToken : stored.fencingToken();
        Mark next = new Mark(epoch, sequence, token);
        marks.put(sessionId, next);
        advanced.put(sessionId, next);
        return new Decision(true, null, stored);
    }

    /** The sessions whose mark moved, with their new mark, in first-advanced order. */
    public Map<String, Mark> advanced() {
        return Collections.unmodifiableMap(advanced);
    }
}
