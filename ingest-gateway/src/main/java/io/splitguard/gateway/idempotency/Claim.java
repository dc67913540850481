package io.splitguard.gateway.idempotency;

/** The result of trying to take a key for a new delivery. */
public sealed interface Claim {

    /** The key was unknown: it is now IN_FLIGHT for this delivery, which must complete or release it. */
    record Acquired() implements Claim {}

    /** Another delivery of the key is still being produced on this instance. */
    record InFlight(CachedEntry entry) implements Claim {}

    /** The key is done with the same payload: answer with the remembered response. */
    record Replay(CachedEntry entry) implements Claim {}

    /** The key is done with another payload. */
    record Mismatch(CachedEntry entry) implements Claim {}
}
