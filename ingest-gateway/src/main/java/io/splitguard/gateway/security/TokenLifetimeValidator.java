package io.splitguard.gateway.security;

import com.nimbusds.jwt.JWTClaimsSet;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.core.annotation.NonNull;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.security.token.Claims;
import io.micronaut.security.token.jwt.validator.ExpirationJwtClaimsValidator;
import io.micronaut.security.token.jwt.validator.GenericJwtClaimsValidator;
import io.micronaut.security.token.jwt.validator.JWTClaimsSetUtils;
import io.splitguard.gateway.config.AuthSettings;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token's time window, in place of Micronaut's expiration check (which takes a token without
 * {@code exp} and allows no clock skew, and which a setting can switch off). Here:
 *
 * <ul>
 *   <li>{@code exp} is required and the token is refused once {@code now > exp + skew};
 *   <li>{@code nbf}, when present, refuses the token while {@code now < nbf - skew};
 *   <li>{@code iat}, when present, refuses the token while {@code now < iat - skew}.
 * </ul>
 *
 * The skew is {@code splitguard.gateway.auth.clock-skew}. Nothing turns this check off.
 */
@Singleton
@Replaces(ExpirationJwtClaimsValidator.class)
public class TokenLifetimeValidator<T> implements GenericJwtClaimsValidator<T> {

    private static final Logger LOG = LoggerFactory.getLogger(TokenLifetimeValidator.class);

    private final Duration skew;
    private final Clock clock;

    public TokenLifetimeValidator(AuthSettings settings) {
        this(settings.getClockSkew(), Clock.systemUTC());
    }

    TokenLifetimeValidator(Duration skew, Clock clock) {
        this.skew = skew;
        this.clock = clock;
    }

    @Override
    public boolean validate(@NonNull Claims claims, @Nullable T request) {
        return validate(JWTClaimsSetUtils.jwtClaimsSetFromClaims(claims));
    }

    boolean validate(JWTClaimsSet claims) {
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            LOG.debug("token refused: it has no exp claim");
            return false;
        }
        if (now.isAfter(exp.toInstant().plus(skew))) {
            LOG.debug("token refused: expired at {} (clock skew {})", exp.toInstant(), skew);
            return false;
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now.isBefore(nbf.toInstant().minus(skew))) {
            LOG.debug("token refused: not valid before {} (clock skew {})", nbf.toInstant(), skew);
            return false;
        }
        Date iat = claims.getIssueTime();
        if (iat != null && now.isBefore(iat.toInstant().minus(skew))) {
            LOG.debug("token refused: issued in the future at {} (clock skew {})", iat.toInstant(), skew);
            return false;
        }
        return true;
    }
}
