package io.splitguard.gateway.idempotency;

/** The result of trying to take a key for a new delivery. */
public sealed interface Claim {

    /**
     * The key was not known here: it is now IN_FLIGHT for this delivery, which must complete, release
     * or mark it indeterminate. {@code possiblySeen} says the key may have been applied within the
     * window although this instance no longer holds its answer: the topology's verdict decides.
     */
    record Acquired(boolean possiblySeen) implements Claim {}

    /** Another delivery of the key is still being produced on this instance. */
    record InFlight(CachedEntry entry) implements Claim {}

    /** The key is done with the same payload: answer with the remembered response. */
    record Replay(CachedEntry entry) implements Claim {}

    /**
     * The key is done, or its produce outcome unknown, with another payload: refuse (422).
     * {@code entry.state()} tells which.
     */
    record Mismatch(CachedEntry entry) implements Claim {}
}
