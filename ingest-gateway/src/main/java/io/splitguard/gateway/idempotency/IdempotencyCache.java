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

/**
 * The local memory of idempotency keys, bounded in size and in time (an entry lives until its
 * delivery's receive time plus the dedup window). All transitions are atomic per key.
 *
 * <pre>
 *   (absent) --claim--> IN_FLIGHT --complete (after Kafka's ack)--> DONE
 *                           \--release (produce failed)--> (absent)
 *   (absent) --outcome from the topic--> DONE
 * </pre>
 *
 * A second index maps (tenant, key) to the last scoped key seen for it, for {@code GET /idempotency/{key}}.
 */
public final class IdempotencyCache {

    public static final String STATUS_ACCEPTED = "accepted";

    private final Clock clock;
    private final Duration window;
    private final Cache<String, CachedEntry> entries;
    private final Cache<String, String> byTenantKey;

    public IdempotencyCache(Duration window, long maxEntries) {
        this(window, maxEntries, Ticker.systemTicker(), Clock.systemUTC());
    }

    /** With explicit time sources, for tests; both must advance together. */
    public IdempotencyCache(Duration window, long maxEntries, Ticker ticker, Clock clock) {
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("dedup window must be positive");
        }
        this.clock = clock;
        this.window = window;
        this.entries = Caffeine.newBuilder()
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
    }

    /** Takes the key for {@code delivery} unless it is known; never replaces an entry. */
    public Claim claim(CachedEntry.Delivery delivery) {
        Claim[] result = new Claim[1];
        entries.asMap().compute(delivery.scopedKey(), (key, current) -> {
            if (current == null || expired(current)) {
                result[0] = new Claim.Acquired();
                return CachedEntry.inFlight(delivery);
            }
            if (!current.isDone()) {
                result[0] = new Claim.InFlight(current);
            } else if (current.payloadHash().equals(delivery.payloadHash())) {
                result[0] = new Claim.Replay(current);
            } else {
                result[0] = new Claim.Mismatch(current);
            }
            return current;
        });
        byTenantKey.put(indexKey(delivery.tenant(), delivery.idempotencyKey()), delivery.scopedKey());
        return result[0];
    }

    /** Kafka acknowledged {@code requestId}: the key is remembered with this answer. */
    public void complete(String scopedKey, String requestId, int status, byte[] body) {
        entries.asMap().computeIfPresent(scopedKey, (key, current) -> {
            if (current.isDone() || !current.requestId().equals(requestId)) {
                return current;
            }
            IdempotencyOutcome early = current.outcome();
            if (early != null && !early.payloadHash().equals(current.payloadHash())) {
                // the topology recorded another payload for this key before our ack arrived
                return fromOutcome(early);
            }
            return current.done(status, body);
        });
    }

    /** The produce of {@code requestId} failed: forget the key so a retry can succeed. */
    public void release(String scopedKey, String requestId) {
        entries.asMap().computeIfPresent(scopedKey, (key, current) -> {
            if (!current.isDone() && current.requestId().equals(requestId)) {
                return null;
            }
            return current;
        });
    }

    /**
     * An outcome read from the (shared) outcomes topic. Unknown keys become DONE with the accepted
     * answer rebuilt from it, so another instance's keys are replayed here too; the topology's
     * recorded payload hash is authoritative over a local one. An IN_FLIGHT entry stays in flight
     * (its own delivery completes it) but keeps the outcome for {@link #complete} to consult.
     */
    public void record(IdempotencyOutcome outcome) {
        if (outcome.receivedAt() != null
                && !clock.instant().isBefore(outcome.receivedAt().plus(window))) {
            return;
        }
        entries.asMap().compute(outcome.scopedKey(), (key, current) -> {
            if (current == null || expired(current)) {
                return fromOutcome(outcome);
            }
            if (!current.isDone()) {
                return current.withOutcome(outcome);
            }
            if (!current.payloadHash().equals(outcome.payloadHash())) {
                return fromOutcome(outcome);
            }
            return current.withOutcome(outcome);
        });
        String tenant = outcome.tenant() == null ? "" : outcome.tenant();
        byTenantKey.asMap().putIfAbsent(indexKey(tenant, outcome.idempotencyKey()), outcome.scopedKey());
    }

    public Optional<CachedEntry> get(String scopedKey) {
        return Optional.ofNullable(entries.getIfPresent(scopedKey)).filter(e -> !expired(e));
    }

    /** The DONE entry last seen for (tenant, key), whatever its route or session. */
    public Optional<CachedEntry> findDone(String tenant, String idempotencyKey) {
        String scoped = byTenantKey.getIfPresent(indexKey(tenant, idempotencyKey));
        if (scoped == null) {
            return Optional.empty();
        }
        return get(scoped).filter(CachedEntry::isDone);
    }

    public long size() {
        entries.cleanUp();
        return entries.estimatedSize();
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
