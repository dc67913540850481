package io.splitguard.gateway.config;

import io.micronaut.context.annotation.EachProperty;
import io.micronaut.context.annotation.Parameter;
import java.time.Duration;
import java.util.List;

/**
 * {@code splitguard.gateway.webhooks.platforms.<name>.*}: one platform whose notifications {@code POST
 * /api/v2/webhooks/<name>} takes. {@code genesys} and {@code cxone} are configured by default; a name
 * not configured (or disabled) answers 404. Environment: {@code
 * SPLITGUARD_GATEWAY_WEBHOOKS_PLATFORMS_<NAME>_<SETTING>}, e.g. {@code
 * SPLITGUARD_GATEWAY_WEBHOOKS_PLATFORMS_GENESYS_SIGNING_SECRETS}.
 *
 * <p>Authentication: when signing secrets or a shared-secret header are configured, a delivery must
 * carry a valid signature (or secret), which is enough on its own; a bearer token is then optional.
 * Without either, the route takes a bearer token with scope {@code session:write}, like the CRM route.
 */
@EachProperty("splitguard.gateway.webhooks.platforms")
public class WebhookPlatformSettings {

    private final String name;
    private boolean enabled = true;
    private String sessionIdPointer = "/session_id";
    private String eventIdPointer = "/event_id";
    private String eventTimePointer = "";
    private String eventTypePointer = "";
    private String tenant = "";
    private List<String> signingSecrets = List.of();
    private Duration signatureTolerance = Duration.ofMinutes(5);
    private String secretHeader = "";
    private List<String> sharedSecrets = List.of();

    public WebhookPlatformSettings(@Parameter String name) {
        this.name = name;
    }

    /** The platform's name, the last segment of its route. */
    public String getName() {
        return name;
    }

    /** Whether the platform's route takes deliveries (false: 404 as for an unknown platform). */
    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /**
     * JSON Pointer (RFC 6901) to the session id in the platform's event; required in every event. Defaults:
     * {@code genesys} {@code /eventBody/conversationId}, {@code cxone} {@code /contactId}, others {@code /session_id}.
     */
    public String getSessionIdPointer() {
        return sessionIdPointer;
    }

    public void setSessionIdPointer(String sessionIdPointer) {
        this.sessionIdPointer = sessionIdPointer;
    }

    /**
     * JSON Pointer to the platform's event id, the idempotency key when the delivery has no {@code
     * Idempotency-Key} header (else {@code webhook-id} is). Defaults: {@code genesys} {@code
     * /metadata/CorrelationId}, {@code cxone} {@code /eventId}, others {@code /event_id}.
     */
    public String getEventIdPointer() {
        return eventIdPointer;
    }

    public void setEventIdPointer(String eventIdPointer) {
        this.eventIdPointer = eventIdPointer;
    }

    /** JSON Pointer to the event's time, recorded as {@code event_time} (never a window's clock); empty: none. */
    public String getEventTimePointer() {
        return eventTimePointer;
    }

    public void setEventTimePointer(String eventTimePointer) {
        this.eventTimePointer = eventTimePointer;
    }

    /** JSON Pointer to the event's type, recorded as {@code event_type} and stored as the operation; empty: none. */
    public String getEventTypePointer() {
        return eventTypePointer;
    }

    public void setEventTypePointer(String eventTypePointer) {
        this.eventTypePointer = eventTypePointer;
    }

    /**
     * The tenant every delivery of a platform authenticated by signature or shared secret writes as (one
     * key scope for all deliveries of an event, with or without a token); empty: {@code platform:<name>}.
     */
    public String getTenant() {
        return tenant;
    }

    public void setTenant(String tenant) {
        this.tenant = tenant;
    }

    /**
     * Standard Webhooks signing secrets ({@code whsec_} + base64): when any is set, a delivery must carry
     * {@code webhook-id}, {@code webhook-timestamp} and a {@code webhook-signature} made with one of them.
     * Several are accepted at once while a secret is rotated.
     */
    public List<String> getSigningSecrets() {
        return signingSecrets;
    }

    public void setSigningSecrets(List<String> signingSecrets) {
        this.signingSecrets = List.copyOf(signingSecrets);
    }

    /**
     * How far {@code webhook-timestamp} may be from the gateway's clock, either way, before a delivery is
     * refused (default 5 minutes).
     */
    public Duration getSignatureTolerance() {
        return signatureTolerance;
    }

    public void setSignatureTolerance(Duration signatureTolerance) {
        this.signatureTolerance = signatureTolerance;
    }

    /** A header carrying a shared secret, for platforms that authenticate that way; empty: not used. */
    public String getSecretHeader() {
        return secretHeader;
    }

    public void setSecretHeader(String secretHeader) {
        this.secretHeader = secretHeader;
    }

    /** The accepted values of the shared-secret header (several during a rotation). */
    public List<String> getSharedSecrets() {
        return sharedSecrets;
    }

    public void setSharedSecrets(List<String> sharedSecrets) {
        this.sharedSecrets = List.copyOf(sharedSecrets);
    }

    /** Whether deliveries authenticate themselves (signature or shared secret) instead of by bearer token. */
    public boolean selfAuthenticating() {
        return !signingSecrets.isEmpty() || (!secretHeader.isBlank() && !sharedSecrets.isEmpty());
    }

    /** {@link #getTenant()}, or {@code platform:<name>} when not set. */
    public String effectiveTenant() {
        return tenant.isBlank() ? "platform:" + name : tenant;
    }
}
