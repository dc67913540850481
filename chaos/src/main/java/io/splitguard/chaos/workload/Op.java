package io.splitguard.chaos.workload;

/**
 * One completed invocation in the history, as a Jepsen-style history records it.
 *
 * @param client which simulated region/client sent it
 * @param kind what the client meant: {@code write} (first delivery or retry by a persistent client),
 *     {@code once} (a client that gives up after its first indeterminate answer), {@code replay} (late
 *     re-delivery of an acknowledged key), {@code conflict} (same key, different body), {@code hostile}
 *     (a body the database cannot store, which must be refused)
 * @param payloadHash the hash of the body sent, computed by the client the way the gateway does
 * @param result {@code ok} (2xx: acknowledged), {@code fail} (definitely not applied by this
 *     request: 4xx), {@code info} (indeterminate: 5xx, timeout, connection error)
 * @param answeredPayloadHash the {@code payload_hash} a 2xx answer carried (null otherwise, or when
 *     the answer had none)
 */
public record Op(
        long id,
        String client,
        String kind,
        String key,
        String session,
        String payloadHash,
        long invokedAtMs,
        long completedAtMs,
        String result,
        int status,
        String detail,
        String answeredPayloadHash) {

    public static final String OK = "ok";
    public static final String FAIL = "fail";
    public static final String INFO = "info";

    public static final String WRITE = "write";
    public static final String ONCE = "once";
    public static final String REPLAY = "replay";
    public static final String CONFLICT = "conflict";
    public static final String HOSTILE = "hostile";

    public boolean ok() {
        return OK.equals(result);
    }

    public boolean info() {
        return INFO.equals(result);
    }

    public boolean fail() {
        return FAIL.equals(result);
    }
}
