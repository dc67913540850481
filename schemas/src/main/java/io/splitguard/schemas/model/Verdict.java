package io.splitguard.schemas.model;

import com.fasterxml.jackson.annotation.JsonValue;

/** What the dedup topology decided for one delivery of an idempotency key. */
public enum Verdict {
    /** First delivery: sequenced and emitted to the mutations topic. */
    APPLIED,
    /** Same key, same payload hash as the applied delivery: dropped. */
    DUPLICATE,
    /** Same key, different payload hash: dropped and reported. */
    CONFLICT,
    /**
     * A first delivery carrying a fencing token older than its session lease's: not applied, and its key is
     * not remembered (a retry with a current token may still apply it).
     */
    FENCED;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
