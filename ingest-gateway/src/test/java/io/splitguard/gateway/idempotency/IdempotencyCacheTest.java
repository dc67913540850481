package io.splitguard.gateway.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import io.splitguard.schemas.model.IdempotencyKeys;
import io.splitguard.schemas.model.IdempotencyOutcome;
import io.splitguard.schemas.model.Verdict;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class IdempotencyCacheTest {

    private static final Duration WINDOW = Duration.ofHours(24);
    private static final Instant START = Instant.parse("2025-05-15T10:00:00Z");

    /** One time source for both Caffeine and the cache's clock. */
    static final class FakeTime extends Clock implements Ticker {
        final AtomicLong nanos = new AtomicLong();

        @Override
        public long read() {
            return nanos.get();
        }

        @Override
        public Instant instant() {
            return START.plusNanos(nanos.get());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        void advance(Duration d) {
            nanos.addAndGet(d.toNanos());
        }
    }

    private final FakeTime time = new FakeTime();
    private final IdempotencyCache cache = new IdempotencyCache(WINDOW, 1000, time, time);

    private CachedEntry.Delivery delivery(String tenant, String session, String key, String hash, String requestId) {
        return new CachedEntry.Delivery(
                IdempotencyKeys.scoped(tenant, "crm.contact.update", session, key),
                requestId,
                tenant,
                key,
                "crm.contact.update",
                session,
                hash,
                false,
                time.instant());
    }

    private static byte[] body(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldAcquireTheFirstClaimAndAnswerInFlightToTheSecond() {
        CachedEntry.Delivery first = delivery("t", "s1", "k1", "sha256:a", "r1");
        assertThat(cache.claim(first)).isInstanceOf(Claim.Acquired.class);
        assertThat(cache.claim(delivery("t", "s1", "k1", "sha256:a", "r2"))).isInstanceOf(Claim.InFlight.class);
        assertThat(cache.claim(delivery("t", "s1", "k1", "sha256:b", "r3"))).isInstanceOf(Claim.InFlight.class);
        assertThat(cache.findDone("t", "k1")).isEmpty();
    }

    @Test
    void shouldReplayTheSamePayloadAndRefuseAnotherWhenTheKeyIsCompleted() {
        CachedEntry.Delivery first = delivery("t", "s1", "k1", "sha256:a", "r1");
        cache.claim(first);
        cache.complete(first.scopedKey(), "r1", 200, body("{\"status\":\"accepted\"}"));

        Claim replay = cache.claim(delivery("t", "s1", "k1", "sha256:a", "r2"));
        assertThat(replay).isInstanceOf(Claim.Replay.class);
        CachedEntry entry = ((Claim.Replay) replay).entry();
        assertThat(entry.status()).isEqualTo(200);
        assertThat(new String(entry.body(), StandardCharsets.UTF_8)).isEqualTo("{\"status\":\"accepted\"}");
        assertThat(entry.requestId()).isEqualTo("r1");

        assertThat(cache.claim(delivery("t", "s1", "k1", "sha256:b", "r3"))).isInstanceOf(Claim.Mismatch.class);
        assertThat(cache.findDone("t", "k1")).isPresent();
    }

    @Test
    void shouldForgetTheKeyWhenReleasedSoARetryCanSucceed() {
        CachedEntry.Delivery first = delivery("t", "s1", "k1", "sha256:a", "r1");
        cache.claim(first);
        cache.release(first.scopedKey(), "r1");
        assertThat(cache.get(first.scopedKey())).isEmpty();
        assertThat(cache.claim(delivery("t", "s1", "k1", "sha256:a", "r2"))).isInstanceOf(Claim.Acquired.class);
    }

    @Test
    void shouldCompleteOrReleaseOnlyWhenAskedByTheOwningDelivery() {
        CachedEntry.Delivery first = delivery("t", "s1", "k1", "sha256:a", "r1");
        cache.claim(first);
        cache.release(first.scopedKey(), "someone-else");
        cache.complete(first.scopedKey(), "someone-else", 200, body("{}"));
        assertThat(cache.get(first.scopedKey()))
                .get()
                .extracting(CachedEntry::state)
                .isEqualTo(CachedEntry.State.IN_FLIGHT);

        cache.complete(first.scopedKey(), "r1", 200, body("{}"));
        cache.release(first.scopedKey(), "r1");
        assertThat(cache.get(first.scopedKey()))
                .get()
                .extracting(CachedEntry::state)
                .isEqualTo(CachedEntry.State.DONE);
    }

    @Test
    void shouldScopeKeysByTenantAndSession() {
        cache.claim(delivery("t1", "s1", "k1", "sha256:a", "r1"));
        assertThat(cache.claim(delivery("t2", "s1", "k1", "sha256:a", "r2"))).isInstanceOf(Claim.Acquired.class);
        assertThat(cache.claim(delivery("t1", "s2", "k1", "sha256:a", "r3"))).isInstanceOf(Claim.Acquired.class);
    }

    @Test
    void shouldExpireEntriesWhenTheWindowEnds() {
        CachedEntry.Delivery first = delivery("t", "s1", "k1", "sha256:a", "r1");
        cache.claim(first);
        cache.complete(first.scopedKey(), "r1", 200, body("{}"));

        time.advance(WINDOW.minusSeconds(1));
        assertThat(cache.claim(delivery("t", "s1", "k1", "sha256:a", "r2"))).isInstanceOf(Claim.Replay.class);

        time.advance(Duration.ofSeconds(2));
        assertThat(cache.findDone("t", "k1")).isEmpty();
        assertThat(cache.claim(delivery("t", "s1", "k1", "sha256:a", "r3"))).isInstanceOf(Claim.Acquired.class);
    }

    @Test
    void shouldReplayHereWhenTheOutcomeComesFromAnotherInstance() {
        String scoped = IdempotencyKeys.scoped("t", "crm.contact.update", "s1", "k1");
        cache.record(outcome(scoped, "sha256:a", "other-request", Verdict.APPLIED, time.instant()));

        Claim replay = cache.claim(delivery("t", "s1", "k1", "sha256:a", "r1"));
        assertThat(replay).isInstanceOf(Claim.Replay.class);
        String json = new String(((Claim.Replay) replay).entry().body(), StandardCharsets.UTF_8);
        assertThat(json)
                .contains(
                        "\"idempotency_key\":\"k1\"",
                        "\"session_id\":\"s1\"",
                        "\"status\":\"accepted\"",
                        "\"payload_hash\":\"sha256:a\"");
        assertThat(cache.claim(delivery("t", "s1", "k1", "sha256:b", "r2"))).isInstanceOf(Claim.Mismatch.class);
        assertThat(cache.findDone("t", "k1"))
                .get()
                .extracting(e -> e.outcome().sequence())
                .isEqualTo(7L);
    }

    @Test
    void shouldIgnoreAnOutcomeWhenItIsOlderThanTheWindow() {
        String scoped = IdempotencyKeys.scoped("t", "crm.contact.update", "s1", "k1");
        cache.record(outcome(
                scoped,
                "sha256:a",
                "old",
                Verdict.APPLIED,
                time.instant().minus(WINDOW).minusSeconds(1)));
        assertThat(cache.get(scoped)).isEmpty();
    }

    @Test
    void shouldLetTheTopologyRecordedHashWinOverTheLocalOne() {
        CachedEntry.Delivery mine = delivery("t", "s1", "k1", "sha256:mine", "r1");
        cache.claim(mine);
        cache.complete(mine.scopedKey(), "r1", 200, body("{}"));
        cache.record(outcome(mine.scopedKey(), "sha256:theirs", "r1", Verdict.CONFLICT, time.instant()));

        assertThat(cache.claim(delivery("t", "s1", "k1", "sha256:mine", "r2"))).isInstanceOf(Claim.Mismatch.class);
        assertThat(cache.claim(delivery("t", "s1", "k1", "sha256:theirs", "r3")))
                .isInstanceOf(Claim.Replay.class);
    }

    @Test
    void shouldKeepAConflictingOutcomeWhenItArrivesBeforeTheAck() {
        CachedEntry.Delivery mine = delivery("t", "s1", "k1", "sha256:mine", "r1");
        cache.claim(mine);
        cache.record(outcome(mine.scopedKey(), "sha256:theirs", "r1", Verdict.CONFLICT, time.instant()));
        assertThat(cache.get(mine.scopedKey()))
                .get()
                .extracting(CachedEntry::state)
                .isEqualTo(CachedEntry.State.IN_FLIGHT);

        assertThat(cache.complete(mine.scopedKey(), "r1", 200, body("{}")))
                .as("complete tells the caller another payload won, so it answers 422, not 200")
                .get()
                .extracting(CachedEntry::payloadHash)
                .isEqualTo("sha256:theirs");
        assertThat(cache.get(mine.scopedKey()))
                .get()
                .extracting(CachedEntry::payloadHash)
                .isEqualTo("sha256:theirs");
    }

    @Test
    void shouldBoundAnswersButNeverEvictInFlightEntries() {
        IdempotencyCache small = new IdempotencyCache(WINDOW, 10, time, time);
        for (int i = 0; i < 100; i++) {
            CachedEntry.Delivery d = delivery("t", "s", "k" + i, "sha256:a", "r" + i);
            small.claim(d);
            if (i >= 50) {
                small.complete(d.scopedKey(), d.requestId(), 200, body("{}"));
            }
        }
        assertThat(small.size()).isLessThanOrEqualTo(10);
        assertThat(small.pendingSize()).isEqualTo(50);
        assertThat(small.claim(delivery("t", "s", "k0", "sha256:a", "again"))).isInstanceOf(Claim.InFlight.class);
    }

    @Test
    void shouldStillKnowAKeyMayHaveBeenSeenWhenItsAnswerWasEvicted() {
        IdempotencyCache none = new IdempotencyCache(WINDOW, 0, time, time);
        CachedEntry.Delivery first = delivery("t", "s1", "k1", "sha256:a", "r1");
        assertThat(none.claim(first)).isEqualTo(new Claim.Acquired(false));
        none.complete(first.scopedKey(), "r1", 200, body("{}"));
        assertThat(none.size()).isZero();

        assertThat(none.claim(delivery("t", "s1", "k1", "sha256:a", "r2"))).isEqualTo(new Claim.Acquired(true));
        assertThat(none.claim(delivery("t", "s1", "other", "sha256:a", "r3"))).isEqualTo(new Claim.Acquired(false));
    }

    @Test
    void shouldFeedTheFilterWhenOutcomesComeFromOtherInstances() {
        IdempotencyCache none = new IdempotencyCache(WINDOW, 0, time, time);
        String scoped = IdempotencyKeys.scoped("t", "crm.contact.update", "s1", "k1");
        none.record(outcome(scoped, "sha256:a", "elsewhere", Verdict.APPLIED, time.instant()));

        assertThat(none.claim(delivery("t", "s1", "k1", "sha256:a", "r1"))).isEqualTo(new Claim.Acquired(true));
    }

    @Test
    void shouldLetOnlyTheSamePayloadRetryWhenTheKeyIsIndeterminate() {
        CachedEntry.Delivery first = delivery("t", "s1", "k1", "sha256:a", "r1");
        cache.claim(first);
        cache.indeterminate(first.scopedKey(), "r1");

        Claim other = cache.claim(delivery("t", "s1", "k1", "sha256:b", "r2"));
        assertThat(other).isInstanceOf(Claim.Mismatch.class);
        assertThat(((Claim.Mismatch) other).entry().state()).isEqualTo(CachedEntry.State.INDETERMINATE);
        CachedEntry.Delivery retry = delivery("t", "s1", "k1", "sha256:a", "r3");
        assertThat(cache.claim(retry)).isEqualTo(new Claim.Acquired(true));
        assertThat(cache.findDone("t", "k1")).isEmpty();
        // the retry could not even be sent: the first attempt's outcome is still unknown
        cache.release(retry.scopedKey(), "r3");
        assertThat(cache.claim(delivery("t", "s1", "k1", "sha256:b", "r4"))).isInstanceOf(Claim.Mismatch.class);
    }

    @Test
    void shouldDecideAnIndeterminateKeyByItsOutcome() {
        CachedEntry.Delivery first = delivery("t", "s1", "k1", "sha256:a", "r1");
        cache.claim(first);
        cache.indeterminate(first.scopedKey(), "r1");
        cache.record(outcome(first.scopedKey(), "sha256:a", "r1", Verdict.APPLIED, time.instant()));

        assertThat(cache.claim(delivery("t", "s1", "k1", "sha256:a", "r2"))).isInstanceOf(Claim.Replay.class);
    }

    @Test
    void shouldIndexOnlyCompletedOutcomesForLookups() {
        CachedEntry.Delivery first = delivery("t", "s1", "k1", "sha256:a", "r1");
        cache.claim(first);
        cache.complete(first.scopedKey(), "r1", 200, body("{}"));
        // a later claim of the same key in another session (in flight, never completed) must not hide it
        cache.claim(delivery("t", "s2", "k1", "sha256:b", "r2"));

        assertThat(cache.findDone("t", "k1"))
                .get()
                .extracting(CachedEntry::sessionId)
                .isEqualTo("s1");
    }

    @Test
    void shouldNotOverwriteTheLookupIndexWhenClaimsAreMismatchedReleasedOrIndeterminate() {
        CachedEntry.Delivery first = delivery("t", "s1", "k1", "sha256:a", "r1");
        cache.claim(first);
        cache.complete(first.scopedKey(), "r1", 200, body("{}"));

        // same scope, another payload: refused, nothing indexed
        assertThat(cache.claim(delivery("t", "s1", "k1", "sha256:b", "r2"))).isInstanceOf(Claim.Mismatch.class);
        // another session: a produce that failed before any broker could append it
        CachedEntry.Delivery released = delivery("t", "s2", "k1", "sha256:c", "r3");
        cache.claim(released);
        cache.release(released.scopedKey(), "r3");
        // another session: a produce whose outcome is unknown
        CachedEntry.Delivery unknown = delivery("t", "s3", "k1", "sha256:d", "r4");
        cache.claim(unknown);
        cache.indeterminate(unknown.scopedKey(), "r4");

        assertThat(cache.findDone("t", "k1"))
                .get()
                .extracting(CachedEntry::sessionId, CachedEntry::payloadHash)
                .containsExactly("s1", "sha256:a");

        // a later completed outcome of the key is the one answered
        CachedEntry.Delivery later = delivery("t", "s4", "k1", "sha256:e", "r5");
        cache.claim(later);
        cache.complete(later.scopedKey(), "r5", 200, body("{}"));
        assertThat(cache.findDone("t", "k1"))
                .get()
                .extracting(CachedEntry::sessionId)
                .isEqualTo("s4");
    }

    @Test
    void shouldForgetTheAnswerOfAFencedRequestSoThatARetryReachesTheTopology() {
        CachedEntry.Delivery first = delivery("t", "s1", "k1", "sha256:a", "r1");
        assertThat(cache.claim(first)).isInstanceOf(Claim.Acquired.class);
        cache.complete(first.scopedKey(), "r1", 200, body("{\"status\":\"accepted\"}"));
        assertThat(cache.claim(delivery("t", "s1", "k1", "sha256:a", "r2"))).isInstanceOf(Claim.Replay.class);

        cache.record(fenced(first.scopedKey(), "sha256:a", "r1", time.instant()));

        assertThat(cache.claim(delivery("t", "s1", "k1", "sha256:a", "r3"))).isInstanceOf(Claim.Acquired.class);
    }

    @Test
    void shouldKeepNothingWhenTheFencedDecisionArrivesBeforeTheRequestsOwnAcknowledgement() {
        CachedEntry.Delivery first = delivery("t", "s1", "k1", "sha256:a", "r1");
        assertThat(cache.claim(first)).isInstanceOf(Claim.Acquired.class);

        cache.record(fenced(first.scopedKey(), "sha256:a", "r1", time.instant()));
        assertThat(cache.complete(first.scopedKey(), "r1", 200, body("{}"))).isEmpty();

        assertThat(cache.claim(delivery("t", "s1", "k1", "sha256:a", "r2"))).isInstanceOf(Claim.Acquired.class);
    }

    @Test
    void shouldKeepAnotherRequestsAnswerWhenAnOlderRequestOfTheKeyWasFenced() {
        CachedEntry.Delivery current = delivery("t", "s1", "k1", "sha256:a", "r2");
        assertThat(cache.claim(current)).isInstanceOf(Claim.Acquired.class);
        cache.complete(current.scopedKey(), "r2", 200, body("{}"));

        cache.record(fenced(current.scopedKey(), "sha256:a", "r1", time.instant()));

        assertThat(cache.claim(delivery("t", "s1", "k1", "sha256:a", "r3"))).isInstanceOf(Claim.Replay.class);
    }

    private static IdempotencyOutcome fenced(String scoped, String hash, String request, Instant at) {
        return new IdempotencyOutcome(
                scoped,
                "k1",
                "t",
                "crm.contact.update",
                "s1",
                hash,
                IdempotencyOutcome.STATUS_FENCED,
                0,
                at,
                at,
                request,
                Verdict.FENCED,
                hash);
    }

    private static IdempotencyOutcome outcome(
            String scoped, String hash, String lastRequest, Verdict verdict, Instant received) {
        return new IdempotencyOutcome(
                scoped,
                "k1",
                "t",
                "crm.contact.update",
                "s1",
                hash,
                "applied",
                7,
                received,
                received,
                lastRequest,
                verdict,
                hash);
    }
}
