package io.splitguard.gateway.idempotency;

import io.splitguard.schemas.model.IdempotencyOutcome;
import java.time.Instant;
import java.util.Objects;

/**
 * What this instance remembers about one scoped key.
 *
 * @param requestId the delivery that owns an {@code IN_FLIGHT} entry, or that produced a {@code DONE} one
 * @param status HTTP status of the remembered answer ({@code DONE} only)
 * @param body bytes of the remembered answer ({@code DONE} only)
 * @param outcome the topology's recorded outcome, once known
 */
public record CachedEntry(
        State state,
        String requestId,
        String tenant,
        String idempotencyKey,
        String route,
        String sessionId,
        String payloadHash,
        boolean keyDerived,
        Instant receivedAt,
        int status,
        byte[] body,
        IdempotencyOutcome outcome) {

    public enum State {
        /** Being produced by this instance; never evicted. */
        IN_FLIGHT,
        /**
         * The produce timed out or failed after the record may have been appended: it may be applied
         * or not. Only the same payload may retry the key; kept until the window ends or an outcome arrives.
         */
        INDETERMINATE,
        /** Acknowledged (or known from the outcomes topic) with the remembered answer. */
        DONE
    }

    public CachedEntry {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        Objects.requireNonNull(payloadHash, "payloadHash");
        Objects.requireNonNull(receivedAt, "receivedAt");
    }

    public static CachedEntry inFlight(Delivery d) {
        return new CachedEntry(
                State.IN_FLIGHT,
                d.requestId(),
                d.tenant(),
                d.idempotencyKey(),
                d.route(),
                d.sessionId(),
                d.payloadHash(),
                d.keyDerived(),
                d.receivedAt(),
                0,
                null,
                null);
    }

    public boolean isDone() {
        return state == State.DONE;
    }

    CachedEntry done(int httpStatus, byte[] responseBody) {
        return new CachedEntry(
                State.DONE,
                requestId,
                tenant,
                idempotencyKey,
                route,
                sessionId,
                payloadHash,
                keyDerived,
                receivedAt,
                httpStatus,
                responseBody,
                outcome);
    }

    CachedEntry indeterminate() {
        return new CachedEntry(
                State.INDETERMINATE,
                requestId,
                tenant,
                idempotencyKey,
                route,
                sessionId,
                payloadHash,
                keyDerived,
                receivedAt,
                0,
                null,
                outcome);
    }

    CachedEntry withOutcome(IdempotencyOutcome recorded) {
        return new CachedEntry(
                state,
                requestId,
                tenant,
                idempotencyKey,
                route,
                sessionId,
                payloadHash,
                keyDerived,
                receivedAt,
                status,
                body,
                recorded);
    }

    /** The identity of one delivery of a key, as the request handler knows it. */
    public record Delivery(
            String scopedKey,
            String requestId,
            String tenant,
            String idempotencyKey,
            String route,
            String sessionId,
            String payloadHash,
            boolean keyDerived,
            Instant receivedAt) {}
}
