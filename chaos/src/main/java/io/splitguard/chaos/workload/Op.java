package io.splitguard.chaos.workload;

import io.splitguard.gateway.api.ContactUpdateController;
import io.splitguard.gateway.api.WebhookController;

/**
 * One completed invocation in the history, as a Jepsen-style history records it.
 *
 * @param client which simulated region/client sent it
 * @param kind what the client meant: {@code write} (first delivery or retry by a persistent client),
 *     {@code once} (a client that gives up after its first indeterminate answer), {@code replay} (late
 *     re-delivery of an acknowledged key), {@code conflict} (same key, different body), {@code hostile}
 *     (a body the database cannot store, which must be refused), {@code webhook} (a platform's signed
 *     notification, first delivery), {@code webhook_retry} (the platform's retry of the same notification
 *     through the other region: same {@code webhook-id} and CorrelationId, fresh timestamp and signature),
 *     {@code webhook_forged} (a notification whose signature does not hold, which must be refused 401)
 * @param payloadHash the hash of the body sent, computed by the client the way the gateway does
 * @param result {@code ok} (2xx: acknowledged), {@code fail} (definitely not applied by this
 *     request: 4xx), {@code info} (indeterminate: 5xx, timeout, connection error)
 * @param answeredPayloadHash the {@code payload_hash} a 2xx answer carried (null otherwise, or when
 *     the answer had none)
 * @param route the route the key is scoped to ({@code crm.contact.update}, {@code webhook.genesys}): a
 *     row is joined to the history by route and key, as the product scopes keys
 * @param operation the operation the row must carry (a notification's {@code topicName}); null when the
 *     checker does not compare it
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
        String answeredPayloadHash,
        String route,
        String operation) {

    public static final String OK = "ok";
    public static final String FAIL = "fail";
    public static final String INFO = "info";

    public static final String WRITE = "write";
    public static final String ONCE = "once";
    public static final String REPLAY = "replay";
    public static final String CONFLICT = "conflict";
    public static final String HOSTILE = "hostile";

    public static final String WEBHOOK = "webhook";
    public static final String WEBHOOK_RETRY = "webhook_retry";
    public static final String WEBHOOK_FORGED = "webhook_forged";

    /** The route of CRM updates. */
    public static final String CRM_ROUTE = ContactUpdateController.ROUTE;
    /** The route of Genesys Cloud notifications. */
    public static final String GENESYS_ROUTE = WebhookController.ROUTE_PREFIX + "genesys";

    /** A CRM update (route {@value #CRM_ROUTE}, no operation compared). */
    public Op(
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
        this(
                id,
                client,
                kind,
                key,
                session,
                payloadHash,
                invokedAtMs,
                completedAtMs,
                result,
                status,
                detail,
                answeredPayloadHash,
                CRM_ROUTE,
                null);
    }

    /** Whether this is a platform notification (any of the webhook kinds). */
    public boolean webhook() {
        return WEBHOOK.equals(kind) || WEBHOOK_RETRY.equals(kind) || WEBHOOK_FORGED.equals(kind);
    }

    /** Whether this is a notification whose signature does not hold. */
    public boolean forged() {
        return WEBHOOK_FORGED.equals(kind);
    }

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
