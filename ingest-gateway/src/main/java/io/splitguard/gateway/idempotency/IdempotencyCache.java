package io.splitguard.gateway.idempotency;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.IdempotencyOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The local memory of idempotency keys. All transitions are atomic per key.
 *
 * <pre>
 *   (absent) --claim--> IN_FLIGHT --complete (after Kafka's ack)--> DONE
 *                           |--release (nothing can have been appended)--> (absent)
 *                           \--indeterminate (produce outcome unknown)--> INDETERMINATE --outcome--> DONE
 *   (absent) --outcome from the topic--> DONE
 * </pre>
 *
 * <p>IN_FLIGHT and INDETERMINATE entries live in maps that are never evicted by size (they are bounded
 * by the requests in flight, and by the window). DONE answers live in a size-bounded cache; when one
 * has been evicted, a {@link KeyFilter} still knows the key may have been seen, and {@link Claim.Acquired}
 * says so: the caller then lets the topology's verdict decide the answer. So the answers do not
 * depend on the cache size, only the cost of giving them does.
 *
 * <p>A second index maps (tenant, key) to the scoped key of its last completed outcome, for {@code GET
 * /idempotency/{key}}; claims that never completed are not indexed.
 */
public final class IdempotencyCache {

    public static final String STATUS_ACCEPTED = "accepted";

    /** Default size of the membership filter: keys expected per dedup window, cluster-wide. */
    public static final long DEFAULT_EXPECTED_KEYS = 2_000_000;

    private final Clock clock;
    private final Duration window;
    /** IN_FLIGHT entries; every transition of a key runs inside {@code pending.compute} for it. */
    private final ConcurrentHashMap<String, CachedEntry> pending = new ConcurrentHashMap<>();
    /** INDETERMINATE entries: kept through retries (a retry that fails to send leaves it as it was). */
    private final ConcurrentHashMap<String, CachedEntry> uncertain = new ConcurrentHashMap<>();

    private final Cache<String, CachedEntry> done;
    private final Cache<String, String> byTenantKey;
    private final KeyFilter seen;

    public IdempotencyCache(Duration window, long maxEntries) {
        this(window, maxEntries, DEFAULT_EXPECTED_KEYS, Ticker.systemTicker(), Clock.systemUTC());
    }

    public IdempotencyCache(Duration window, long maxEntries, long expectedKeysPerWindow) {
        this(window, maxEntries, expectedKeysPerWindow, Ticker.systemTicker(), Clock.systemUTC());
    }

    /** With explicit time sources, for tests; both must advance together. */
    public IdempotencyCache(Duration window, long maxEntries, Ticker ticker, Clock clock) {
        this(window, maxEntries, DEFAULT_EXPECTED_KEYS, ticker, clock);
    }

    /** With explicit time sources, for tests; both must advance together. */
    public IdempotencyCache(Duration window, long maxEntries, long expectedKeysPerWindow, Ticker ticker, Clock clock) {
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("dedup window must be positive");
        }
        this.clock = clock;
        this.window = window;
        this.done = Caffeine.newBuilder()
                .ticker(ticker)
                .executor(Runnable::run)
                .maximumSize(maxEntries)
                .expireAfter(new UntilWindowEnds<CachedEntry>(e -> e.receivedAt()))
                .build();
        this.byTenantKey = Caffeine.newBuilder()
                .ticker(ticker)
                .executor(Runnable::run)
                .maximumSize(maxEntries)
                .expireAfterWrite(window)
                .build();
        this.seen = new KeyFilter(clock, window, expectedKeysPerWindow, 0.01);
    }

    /** Takes the key for {@code delivery} unless it is known; never replaces a DONE entry. */
    public Claim claim(CachedEntry.Delivery delivery) {
        Claim[] result = new Claim[1];
        pending.compute(delivery.scopedKey(), (key, current) -> {
            if (current != null && !expired(current)) {
                result[0] = new Claim.InFlight(current);
                return current;
            }
            CachedEntry unknown = uncertainEntry(key);
            if (unknown != null) {
                // an earlier produce may or may not have been appended: only the same payload may try again
                if (!unknown.payloadHash().equals(delivery.payloadHash())) {
                    result[0] = new Claim.Mismatch(unknown);
                    return null;
                }
                result[0] = new Claim.Acquired(true);
                return CachedEntry.inFlight(delivery);
            }
            CachedEntry answered = doneEntry(key);
            if (answered != null) {
                result[0] = answered.payloadHash().equals(delivery.payloadHash())
                        ? new Claim.Replay(answered)
                        : new Claim.Mismatch(answered);
                return null;
            }
            result[0] = new Claim.Acquired(seen.mightContain(key));
            seen.put(key);
            return CachedEntry.inFlight(delivery);
        });
        return result[0];
    }

    /**
     * Kafka acknowledged {@code requestId}: the key is remembered with this answer. Returns the entry
     * the key now has: another payload's when the topology recorded one for this key before the ack
     * arrived (the caller must then answer 422), empty if {@code requestId} did not own the key.
     */
    public Optional<CachedEntry> complete(String scopedKey, String requestId, int status, byte[] body) {
        CachedEntry[] result = new CachedEntry[1];
        pending.computeIfPresent(scopedKey, (key, current) -> {
            if (!current.requestId().equals(requestId)) {
                return current;
            }
            uncertain.remove(key);
            IdempotencyOutcome early = current.outcome();
            if (early != null && early.isFenced()) {
                // fenced before its own acknowledgement arrived: nothing to remember for the key
                return null;
            }
            CachedEntry answered = early != null && !early.payloadHash().equals(current.payloadHash())
                    ? fromOutcome(early)
                    : current.done(status, body);
            done.put(key, answered);
            index(answered, key);
            result[0] = answered;
            return null;
        });
        return Optional.ofNullable(result[0]);
    }

    /** Nothing of {@code requestId} can have been appended: forget the key so a retry can succeed. */
    public void release(String scopedKey, String requestId) {
        pending.computeIfPresent(
                scopedKey, (key, current) -> current.requestId().equals(requestId) ? null : current);
    }

    /**
     * The produce of {@code requestId} ended without knowing whether the record was appended: keep the
     * key with its payload hash, so the same body may retry and another body is refused.
     */
    public void indeterminate(String scopedKey, String requestId) {
        pending.computeIfPresent(scopedKey, (key, current) -> {
            if (!current.requestId().equals(requestId)) {
                return current;
            }
            uncertain.put(key, current.indeterminate());
            return null;
        });
    }

    /**
     * An outcome read from the (shared) outcomes topic. Unknown keys become DONE with the accepted
     * answer rebuilt from it, so another instance's keys are replayed here too; the topology's
     * recorded payload hash and receive time are authoritative over local ones. An IN_FLIGHT entry
     * stays in flight (its own delivery completes it) but keeps the outcome for {@link #complete}; an
     * INDETERMINATE one is decided by it.
     */
    public void record(IdempotencyOutcome outcome) {
        if (outcome.isFenced()) {
            fenced(outcome);
            return;
        }
        if (outcome.receivedAt() != null
                && !clock.instant().isBefore(outcome.receivedAt().plus(window))) {
            return;
        }
        String scoped = outcome.scopedKey();
        seen.put(scoped);
        pending.compute(scoped, (key, current) -> {
            if (current != null && !expired(current)) {
                return current.withOutcome(outcome);
            }
            uncertain.remove(key);
            CachedEntry answered = doneEntry(key);
            CachedEntry next;
            if (answered == null
                    || !answered.payloadHash().equals(outcome.payloadHash())
                    || (outcome.receivedAt() != null && !outcome.receivedAt().equals(answered.receivedAt()))) {
                next = fromOutcome(outcome);
            } else {
                next = answered.withOutcome(outcome);
            }
            done.put(key, next);
            index(next, key);
            return null;
        });
    }

    /**
     * The topology fenced the delivery {@code outcome} names: not applied, its key not remembered. The answer
     * kept for that request is dropped (an in-flight one is marked, so its completion keeps nothing), so a
     * retry under the key reaches the topology and may apply with a current fencing token.
     */
    private void fenced(IdempotencyOutcome outcome) {
        String scopedKey = outcome.scopedKey();
        String requestId = outcome.lastRequestId();
        pending.computeIfPresent(
                scopedKey,
                (key, current) -> current.requestId().equals(requestId) ? current.withOutcome(outcome) : current);
        uncertain.computeIfPresent(
                scopedKey, (key, current) -> current.requestId().equals(requestId) ? null : current);
        CachedEntry answered = done.getIfPresent(scopedKey);
        if (answered != null && answered.requestId().equals(requestId)) {
            done.asMap().remove(scopedKey, answered);
        }
    }

    public Optional<CachedEntry> get(String scopedKey) {
        CachedEntry p = pending.get(scopedKey);
        if (p != null && !expired(p)) {
            return Optional.of(p);
        }
        CachedEntry u = uncertainEntry(scopedKey);
        return u != null ? Optional.of(u) : Optional.ofNullable(doneEntry(scopedKey));
    }

    /** The DONE entry of the last completed outcome of (tenant, key), whatever its route or session. */
    public Optional<CachedEntry> findDone(String tenant, String idempotencyKey) {
        String scoped = byTenantKey.getIfPresent(indexKey(tenant, idempotencyKey));
        if (scoped == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(doneEntry(scoped));
    }

    /** Entries being produced or of unknown outcome (never evicted). */
    public int pendingSize() {
        uncertain.values().removeIf(this::expired);
        return pending.size() + uncertain.size();
    }

    /** Approximate keys the membership filter holds. */
    public long filteredKeys() {
        return seen.approximateKeys();
    }

    /** DONE answers held (bounded by the configured maximum). */
    public long size() {
        done.cleanUp();
        return done.estimatedSize();
    }

    /** The body of a first-delivery answer ({@code status: accepted}). */
    public static ObjectNode acceptedBody(
            String idempotencyKey, String sessionId, String payloadHash, Instant receivedAt, boolean keyDerived) {
        ObjectNode body = Json.mapper().createObjectNode();
        body.put("idempotency_key", idempotencyKey);
        body.put("session_id", sessionId);
        body.put("payload_hash", payloadHash);
        body.put("status", STATUS_ACCEPTED);
        body.put("received_at", receivedAt.toString());
        if (keyDerived) {
            body.put("key_derived", true);
        }
        return body;
    }

    public static byte[] bytes(ObjectNode node) {
        try {
            return Json.mapper().writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree is always serializable", e);
        }
    }

    private CachedEntry fromOutcome(IdempotencyOutcome o) {
        Instant received = o.receivedAt() != null ? o.receivedAt() : clock.instant();
        byte[] body = bytes(acceptedBody(o.idempotencyKey(), o.sessionId(), o.payloadHash(), received, false));
        return new CachedEntry(
                CachedEntry.State.DONE,
                o.lastRequestId(),
                o.tenant() == null ? "" : o.tenant(),
                o.idempotencyKey(),
                o.route(),
                o.sessionId(),
                o.payloadHash(),
                false,
                received,
                200,
                body,
                o);
    }

    private CachedEntry uncertainEntry(String scopedKey) {
        CachedEntry e = uncertain.get(scopedKey);
        if (e != null && expired(e)) {
            uncertain.remove(scopedKey, e);
            return null;
        }
        return e;
    }

    private CachedEntry doneEntry(String scopedKey) {
        CachedEntry e = done.getIfPresent(scopedKey);
        return e == null || expired(e) ? null : e;
    }

    private void index(CachedEntry entry, String scopedKey) {
        byTenantKey.put(indexKey(entry.tenant(), entry.idempotencyKey()), scopedKey);
    }

    private boolean expired(CachedEntry entry) {
        return !clock.instant().isBefore(entry.receivedAt().plus(window));
    }

    private static String indexKey(String tenant, String key) {
        return tenant.length() + ":" + tenant + "|" + key;
    }

    /** Expires an entry when the window that started at its receive time ends. */
    private final class UntilWindowEnds<V> implements Expiry<String, V> {
        private final java.util.function.Function<V, Instant> start;

        UntilWindowEnds(java.util.function.Function<V, Instant> start) {
            this.start = start;
        }

        private long remaining(V value) {
            Duration left = Duration.between(clock.instant(), start.apply(value).plus(window));
            return left.isNegative() ? 0 : saturatedNanos(left);
        }

        @Override
        public long expireAfterCreate(String key, V value, long currentTime) {
            return remaining(value);
        }

        @Override
        public long expireAfterUpdate(String key, V value, long currentTime, long currentDuration) {
            return remaining(value);
        }

        @Override
        public long expireAfterRead(String key, V value, long currentTime, long currentDuration) {
            return currentDuration;
        }
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
