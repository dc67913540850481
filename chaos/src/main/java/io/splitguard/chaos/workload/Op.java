package io.splitguard.chaos.workload;

/**
 * One completed invocation in the history, as a Jepsen-style history records it.
 *
 * @param client which simulated region/client sent it
 * @param kind what the client meant: {@code write} (first delivery or retry), {@code replay} (late
 *     re-delivery of an acknowledged key), {@code conflict} (same key, different body)
 * @param result {@code ok} (2xx: acknowledged), {@code fail} (definitely not applied by this
 *     request: 4xx), {@code info} (indeterminate: 503, timeout, connection error)
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
        String detail) {

    public static final String OK = "ok";
    public static final String FAIL = "fail";
    public static final String INFO = "info";

    public boolean ok() {
        return OK.equals(result);
    }
}
