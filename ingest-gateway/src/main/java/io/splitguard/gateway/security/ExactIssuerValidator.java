package io.splitguard.gateway.security;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.NonNull;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.security.token.Claims;
import io.micronaut.security.token.jwt.validator.GenericJwtClaimsValidator;
import io.micronaut.security.token.jwt.validator.IssuerJwtClaimsValidator;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When {@code micronaut.security.token.jwt.claims-validators.issuer} is set, the token's {@code iss}
 * must be exactly that string. Micronaut's own issuer check only asks that the configured issuer
 * <em>end with</em> the token's issuer once {@code http(s)://} and a trailing slash are dropped, so
 * an {@code iss} of {@code ""}, of a last path segment or of the {@code http://} form would pass.
 */
@Singleton
@Replaces(IssuerJwtClaimsValidator.class)
@Requires(property = IssuerJwtClaimsValidator.ISSUER_PROP)
public class ExactIssuerValidator<T> implements GenericJwtClaimsValidator<T> {

    private static final Logger LOG = LoggerFactory.getLogger(ExactIssuerValidator.class);

    private final String expected;

    public ExactIssuerValidator(@Value("${" + IssuerJwtClaimsValidator.ISSUER_PROP + "}") String expected) {
        if (expected == null || expected.isBlank()) {
            throw new IllegalArgumentException(IssuerJwtClaimsValidator.ISSUER_PROP + " must not be blank");
        }
        this.expected = expected;
    }

    @Override
    public boolean validate(@NonNull Claims claims, @Nullable T request) {
        return matches(claims.get(Claims.ISSUER));
    }

    boolean matches(Object issuer) {
        if (issuer instanceof String actual && actual.equals(expected)) {
            return true;
        }
        LOG.debug("token refused: issuer {} is not {}", issuer, expected);
        return false;
    }
}
