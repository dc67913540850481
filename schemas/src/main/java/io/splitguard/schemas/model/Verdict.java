package io.splitguard.schemas.model;

import com.fasterxml.jackson.annotation.JsonValue;

/** What the dedup topology decided for one delivery of an idempotency key. */
public enum Verdict {
    /** First delivery: sequenced and emitted to the mutations topic. */
    APPLIED,
    /** Same key, same payload hash as the applied delivery: dropped. */
    DUPLICATE,
    /** Same key, different payload hash: dropped and reported. */
    CONFLICT;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
