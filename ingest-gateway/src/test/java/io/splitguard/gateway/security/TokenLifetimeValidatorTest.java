package io.splitguard.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import org.junit.jupiter.api.Test;

class TokenLifetimeValidatorTest {

    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
    private static final Duration SKEW = Duration.ofSeconds(60);
    private final TokenLifetimeValidator<Object> validator =
            new TokenLifetimeValidator<>(SKEW, Clock.fixed(NOW, ZoneOffset.UTC));

    private static JWTClaimsSet.Builder valid() {
        return new JWTClaimsSet.Builder()
                .subject("s")
                .issueTime(Date.from(NOW.minusSeconds(10)))
                .expirationTime(Date.from(NOW.plusSeconds(300)));
    }

    @Test
    void shouldAcceptWhenTheTokenIsWithinItsLifetime() {
        assertThat(validator.validate(valid().build())).isTrue();
    }

    @Test
    void shouldRefuseWhenTheExpiryIsMissing() {
        assertThat(validator.validate(valid().expirationTime(null).build())).isFalse();
    }

    @Test
    void shouldAcceptUpToTheSkewPastTheExpiryAndRefuseWhenBeyondIt() {
        assertThat(validator.validate(
                        valid().expirationTime(Date.from(NOW.minus(SKEW))).build()))
                .isTrue();
        assertThat(validator.validate(
                        valid().expirationTime(Date.from(NOW.minus(SKEW).minusSeconds(1)))
                                .build()))
                .isFalse();
    }

    @Test
    void shouldRefuseWhenNotBeforeOrIssuedAtLieBeyondTheSkewInTheFuture() {
        assertThat(validator.validate(
                        valid().notBeforeTime(Date.from(NOW.plus(SKEW))).build()))
                .isTrue();
        assertThat(validator.validate(
                        valid().notBeforeTime(Date.from(NOW.plus(SKEW).plusSeconds(1)))
                                .build()))
                .isFalse();
        assertThat(validator.validate(valid().issueTime(Date.from(NOW.plus(SKEW).plusSeconds(1)))
                        .build()))
                .isFalse();
    }

    @Test
    void shouldRefuseEverythingExpiredWhenTheSkewIsZero() {
        TokenLifetimeValidator<Object> strict =
                new TokenLifetimeValidator<>(Duration.ZERO, Clock.fixed(NOW, ZoneOffset.UTC));
        assertThat(strict.validate(
                        valid().expirationTime(Date.from(NOW.minusMillis(1000))).build()))
                .isFalse();
    }
}
