package io.splitguard.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWT;
import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.http.HttpRequest;
import io.micronaut.security.authentication.Authentication;
import io.micronaut.security.token.jwt.validator.ReactiveJsonWebTokenValidator;
import io.splitguard.gateway.config.AuthSettings;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;

class VerifiedTokenCacheTest {

    private static final Instant NOW = Instant.parse("2026-05-15T14:35:00Z");
    private static final String GOOD = "good.token.signature";
    private static final String BAD = "forged.token.signature";

    /** Micronaut's validator stand-in: {@link #GOOD} passes with exp {@code exp}, anything else fails. */
    private static final class Delegate implements ReactiveJsonWebTokenValidator<JWT, HttpRequest<?>> {
        final AtomicInteger calls = new AtomicInteger();
        Object exp;

        Delegate(Object exp) {
            this.exp = exp;
        }

        @Override
        public Publisher<Authentication> validateToken(String token, HttpRequest<?> request) {
            calls.incrementAndGet();
            return GOOD.equals(token)
                    ? Publishers.just(Authentication.build("svc", List.of("session:read"), Map.of("exp", exp)))
                    : Publishers.empty();
        }

        @Override
        public Publisher<JWT> validate(String token, HttpRequest<?> request) {
            throw new UnsupportedOperationException();
        }
    }

    private static final class MovableClock extends Clock {
        Instant now = NOW;

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static AuthSettings settings(Duration ttl) {
        AuthSettings settings = new AuthSettings();
        settings.setClockSkew(Duration.ofSeconds(60));
        settings.setTokenCacheTtl(ttl);
        settings.setTokenCacheSize(100);
        return settings;
    }

    /** Everything the publisher emits (they all complete synchronously here). */
    private static List<Authentication> ask(VerifiedTokenCache cache, String token) {
        List<Authentication> got = new java.util.ArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        cache.validateToken(token, HttpRequest.GET("/")).subscribe(new org.reactivestreams.Subscriber<>() {
            @Override
            public void onSubscribe(org.reactivestreams.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(Authentication a) {
                got.add(a);
            }

            @Override
            public void onError(Throwable t) {
                throw new AssertionError(t);
            }

            @Override
            public void onComplete() {
                done.set(true);
            }
        });
        assertThat(done).as("completed").isTrue();
        return got;
    }

    @Test
    void shouldVerifyAGoodTokenOnceAndAnswerLaterRequestsWithTheSameAuthentication() {
        Delegate delegate = new Delegate(Date.from(NOW.plusSeconds(300)));
        VerifiedTokenCache cache =
                new VerifiedTokenCache(delegate, settings(Duration.ofSeconds(60)), new MovableClock());

        Authentication first = ask(cache, GOOD).get(0);
        for (int i = 0; i < 5; i++) {
            assertThat(ask(cache, GOOD)).containsExactly(first);
        }

        assertThat(delegate.calls.get()).isEqualTo(1);
        assertThat(first.getRoles()).containsExactly("session:read");
    }

    @Test
    void shouldNeverRememberATokenThatFailedSoItIsCheckedAndRefusedEveryTime() {
        Delegate delegate = new Delegate(Date.from(NOW.plusSeconds(300)));
        VerifiedTokenCache cache =
                new VerifiedTokenCache(delegate, settings(Duration.ofSeconds(60)), new MovableClock());

        assertThat(ask(cache, BAD)).isEmpty();
        assertThat(ask(cache, BAD)).isEmpty();

        assertThat(delegate.calls.get()).isEqualTo(2);
        assertThat(cache.remembered()).isZero();
    }

    @Test
    void shouldStopAnsweringForARememberedTokenOnceItsExpPlusSkewHasPassedOnTheGatewaysClock() {
        MovableClock clock = new MovableClock();
        // exp in 30 s: the TTL (60 s) would keep it longer than the token itself may live
        Delegate delegate = new Delegate(Date.from(NOW.plusSeconds(30)));
        VerifiedTokenCache cache = new VerifiedTokenCache(delegate, settings(Duration.ofSeconds(60)), clock);
        assertThat(ask(cache, GOOD)).hasSize(1);

        clock.now = NOW.plusSeconds(30 + 60); // exp + skew: still taken, as the full check would
        assertThat(ask(cache, GOOD)).hasSize(1);
        assertThat(delegate.calls.get()).isEqualTo(1);

        clock.now = NOW.plusSeconds(30 + 60 + 1); // past it: not answered from memory
        assertThat(ask(cache, GOOD)).isEmpty();
        assertThat(cache.remembered()).isZero();
    }

    @Test
    void shouldCheckEveryRequestWhenTheTtlIsZero() {
        Delegate delegate = new Delegate(Date.from(NOW.plusSeconds(300)));
        VerifiedTokenCache cache = new VerifiedTokenCache(delegate, settings(Duration.ZERO), new MovableClock());

        // off: it answers nothing, so Micronaut's own validator (next in line) checks every request
        assertThat(ask(cache, GOOD)).isEmpty();
        assertThat(delegate.calls.get()).isZero();
    }

    @Test
    void shouldReadTheExpiryInEveryFormAnAuthenticationMayCarryIt() {
        Instant exp = Instant.parse("2026-05-15T15:00:00Z");
        assertThat(VerifiedTokenCache.expiry(Authentication.build("a", Map.of("exp", Date.from(exp)))))
                .isEqualTo(exp);
        assertThat(VerifiedTokenCache.expiry(Authentication.build("a", Map.of("exp", exp.getEpochSecond()))))
                .isEqualTo(exp);
        assertThat(VerifiedTokenCache.expiry(Authentication.build("a", Map.of("exp", exp))))
                .isEqualTo(exp);
        assertThat(VerifiedTokenCache.expiry(Authentication.build("a", Map.of())))
                .isNull();
    }
}
