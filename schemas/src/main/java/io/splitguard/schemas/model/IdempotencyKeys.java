package io.splitguard.schemas.model;

import io.splitguard.schemas.json.PayloadHash;
import java.time.Instant;

/** How keys are derived and scoped. Changing either rule makes every remembered key unreachable. */
public final class IdempotencyKeys {

    public static final int MAX_KEY_LENGTH = 255;

    private IdempotencyKeys() {}

    /**
     * The key for a request that carries none: sha256 of session id, operation and the payload
     * timestamp truncated to the second, joined by {@code '\n'} (a character none of them may hold).
     */
    public static String derive(String sessionId, String operation, Instant timestampToSecond) {
        return PayloadHash.ofText(sessionId + "\n" + operation + "\n" + timestampToSecond);
    }

    /** The identity a key is remembered under: (tenant, route, session id, key). */
    public static String scoped(String tenant, String route, String sessionId, String key) {
        return tenant.length() + ":" + tenant + "|" + route + "|" + sessionId.length() + ":" + sessionId + "|" + key;
    }
}
