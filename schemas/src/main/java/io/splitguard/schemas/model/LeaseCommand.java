package io.splitguard.schemas.model;

import com.fasterxml.jackson.annotation.JsonValue;
import io.splitguard.schemas.json.Storable;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * A lease request the gateway accepted: what it writes to the lease-commands topic, keyed by {@code
 * resourceId}, before waiting for the owner's {@link LeaseDecision} with the same {@code requestId}.
 * The resource id is the lease's key, so every command for one resource is decided, in order, by the
 * single Streams task that owns its partition. A session's lease uses the session id as resource id,
 * which puts it on the same partition number as the session's mutations.
 *
 * <p>Which fields a command carries depends on its {@link Type}: an acquire needs {@code regionOrigin},
 * {@code lockTtlMs} and {@code correlationId}; a heartbeat or a release needs {@code lockToken}; a
 * describe (an operator's read, decided in order with the rest so it sees every decision before it)
 * needs nothing but the resource id.
 *
 * @param type what the caller asks for
 * @param resourceId the resource to lock, also the record key
 * @param regionOrigin the region asking (acquire)
 * @param lockTtlMs the lease's lifetime, {@value #MIN_TTL_MS}..{@value #MAX_TTL_MS} ms, counted on the
 *     deciding instance's clock from the grant and from each heartbeat (acquire)
 * @param operationType what the holder means to do, for operators and the audit (acquire, optional)
 * @param correlationId the caller's id of the acquisition: a retried acquire with the same id by the
 *     current holder gets the same grant back (acquire)
 * @param lockToken the token a grant returned (heartbeat, release)
 * @param requestId unique per HTTP request: the key the gateway waits for the decision under
 * @param receivedAt when the gateway received it, on the gateway's clock. Informational only: it
 *     decides no expiry, staleness or delay.
 */
public record LeaseCommand(
        Type type,
        String resourceId,
        String regionOrigin,
        Long lockTtlMs,
        String operationType,
        String correlationId,
        String lockToken,
        String requestId,
        Instant receivedAt) {

    public static final long MIN_TTL_MS = 1_000;
    public static final long MAX_TTL_MS = 600_000;

    /** Longest resource id, correlation id or token accepted (they are keys and stored strings). */
    public static final int MAX_ID_LENGTH = 255;

    public enum Type {
        ACQUIRE,
        HEARTBEAT,
        RELEASE,
        /** An operator's question: the resource's lease as the owner sees it now. Changes nothing. */
        DESCRIBE;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public LeaseCommand {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(resourceId, "resource_id");
        Objects.requireNonNull(requestId, "request_id");
        Objects.requireNonNull(receivedAt, "received_at");
        switch (type) {
            case ACQUIRE -> {
                Objects.requireNonNull(regionOrigin, "region_origin");
                Objects.requireNonNull(lockTtlMs, "lock_ttl_ms");
                Objects.requireNonNull(correlationId, "correlation_id");
                if (lockTtlMs < MIN_TTL_MS || lockTtlMs > MAX_TTL_MS) {
                    throw new IllegalArgumentException(
                            "lock_ttl_ms must be within " + MIN_TTL_MS + ".." + MAX_TTL_MS + ", was " + lockTtlMs);
                }
            }
            case HEARTBEAT, RELEASE -> Objects.requireNonNull(lockToken, "lock_token");
            case DESCRIBE -> {
                // the resource id is all a question needs
            }
        }
        for (String text :
                new String[] {resourceId, regionOrigin, operationType, correlationId, lockToken, requestId}) {
            if (text == null) {
                continue;
            }
            if (text.isEmpty() || text.length() > MAX_ID_LENGTH) {
                throw new IllegalArgumentException("a lease command field must be 1.." + MAX_ID_LENGTH + " characters");
            }
            String problem = Storable.problemWith(text);
            if (problem != null) {
                throw new IllegalArgumentException("a lease command field " + problem);
            }
        }
    }

    /** An acquire of {@code resourceId} for {@code ttl} by {@code region}. */
    public static LeaseCommand acquire(
            String resourceId,
            String region,
            Duration ttl,
            String operationType,
            String correlationId,
            String requestId,
            Instant receivedAt) {
        return new LeaseCommand(
                Type.ACQUIRE,
                resourceId,
                region,
                ttl.toMillis(),
                operationType,
                correlationId,
                null,
                requestId,
                receivedAt);
    }

    /** A heartbeat of the lease {@code lockToken} on {@code resourceId}. */
    public static LeaseCommand heartbeat(String resourceId, String lockToken, String requestId, Instant receivedAt) {
        return new LeaseCommand(Type.HEARTBEAT, resourceId, null, null, null, null, lockToken, requestId, receivedAt);
    }

    /** An operator's question about the lease on {@code resourceId}. */
    public static LeaseCommand describe(String resourceId, String requestId, Instant receivedAt) {
        return new LeaseCommand(Type.DESCRIBE, resourceId, null, null, null, null, null, requestId, receivedAt);
    }

    /** A release of the lease {@code lockToken} on {@code resourceId}. */
    public static LeaseCommand release(String resourceId, String lockToken, String requestId, Instant receivedAt) {
        return new LeaseCommand(Type.RELEASE, resourceId, null, null, null, null, lockToken, requestId, receivedAt);
    }
}
