package io.splitguard.chaos.workload;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * One completed lease-workload request in the history ({@code lease-history.jsonl}): a lease command or
 * a CRM update carrying the lease's fencing token.
 *
 * @param type {@link #ACQUIRE}, {@link #HEARTBEAT}, {@link #RELEASE} or {@link #WRITE} (a CRM update with
 *     {@code X-Fencing-Token} and {@code Prefer: wait})
 * @param region the simulated region that sent it ({@code region-a} through gateway 0, {@code region-b}
 *     through gateway 1)
 * @param cycle the holding cycle it belongs to (one acquisition attempt and what followed it)
 * @param phase {@link #HOLD} (the region believes it holds the lease), {@link #ZOMBIE} (a region that
 *     paused past the stale threshold acts on with its old lease) or {@link #CONTEND} (acquire attempts)
 * @param correlationId acquire: the correlation id sent (kept across retries of one acquisition)
 * @param lockToken heartbeat/release: sent; acquire answered 200: received; else null
 * @param fencingToken acquire answered 200: received; write: sent as {@code X-Fencing-Token}; else -1
 * @param key write: its {@code Idempotency-Key}; else null
 * @param result {@code ok} (2xx), {@code fail} (4xx), {@code info} (5xx, timeout, no answer)
 * @param outcome the answer's {@code status} (granted, extended, released, conflict, lost, not_holder; a
 *     write's applied, duplicate, accepted) or for a 409 problem its {@code verdict} (fenced) or type
 * @param holderRegion, expiresAtMs, retryAfterMs what the answer named (-1: nothing)
 * @param overrodeRegion, overrodeToken a grant's {@code overrode} (null / -1 when none)
 */
public record LeaseOp(
        long id,
        String type,
        String region,
        int gateway,
        String resource,
        long cycle,
        String phase,
        String correlationId,
        String lockToken,
        long fencingToken,
        String key,
        long ttlMs,
        long invokedAtMs,
        long completedAtMs,
        String result,
        int status,
        String outcome,
        String holderRegion,
        long expiresAtMs,
        long retryAfterMs,
        String overrodeRegion,
        long overrodeToken,
        String detail) {

    public static final String ACQUIRE = "lease_acquire";
    public static final String HEARTBEAT = "lease_heartbeat";
    public static final String RELEASE = "lease_release";
    public static final String WRITE = "lease_write";

    public static final String HOLD = "hold";
    public static final String ZOMBIE = "zombie";
    public static final String CONTEND = "contend";

    public boolean ok() {
        return Op.OK.equals(result);
    }

    public boolean info() {
        return Op.INFO.equals(result);
    }

    /** An acquire answered 200 granted. */
    @JsonIgnore
    public boolean granted() {
        return ACQUIRE.equals(type) && ok() && lockToken != null && fencingToken > 0;
    }

    /** A write answered 409 with verdict {@code fenced}. */
    @JsonIgnore
    public boolean fenced() {
        return WRITE.equals(type) && status == 409 && "fenced".equals(outcome);
    }
}
