package io.splitguard.gateway.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;
import java.util.Objects;

/**
 * {@code splitguard.gateway.auth.*}: the parts of bearer-token checking Micronaut Security has no
 * setting for. The key source (HS256 secret or JWKS URL), the expected issuer and audience stay
 * plain {@code micronaut.security.token.jwt.*} settings.
 */
@ConfigurationProperties("splitguard.gateway.auth")
public class AuthSettings {

    /** The largest clock skew accepted; more would keep expired tokens alive for too long. */
    public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);

    /** The largest JWKS fetch timeout accepted: requests wait on a fetch in progress. */
    public static final Duration MAX_JWKS_TIMEOUT = Duration.ofSeconds(30);

    private Duration clockSkew = Duration.ofSeconds(60);
    private Duration jwksTimeout = Duration.ofSeconds(5);
    private int jwksMaxBytes = 512 * 1024;
    private Duration tokenCacheTtl = Duration.ofSeconds(60);
    private int tokenCacheSize = 10_000;

    /**
     * How far the gateway's clock may disagree with the token issuer's: a token is still taken up to
     * this long after its {@code exp}, and this long before its {@code nbf} or {@code iat}. Between
     * {@code 0s} and {@code 5m}.
     */
    public Duration getClockSkew() {
        return clockSkew;
    }

    public void setClockSkew(Duration clockSkew) {
        Objects.requireNonNull(clockSkew, "clockSkew");
        if (clockSkew.isNegative() || clockSkew.compareTo(MAX_CLOCK_SKEW) > 0) {
            throw new IllegalArgumentException("splitguard.gateway.auth.clock-skew must be between 0s and "
                    + MAX_CLOCK_SKEW + ", was " + clockSkew);
        }
        this.clockSkew = clockSkew;
    }

    /**
     * Connect and read timeout of one JWKS download (between {@code 100ms} and {@code 30s}); a
     * download that fails leaves the gateway without keys for that source until the next attempt.
     */
    public Duration getJwksTimeout() {
        return jwksTimeout;
    }

    public void setJwksTimeout(Duration jwksTimeout) {
        Objects.requireNonNull(jwksTimeout, "jwksTimeout");
        if (jwksTimeout.compareTo(Duration.ofMillis(100)) < 0 || jwksTimeout.compareTo(MAX_JWKS_TIMEOUT) > 0) {
            throw new IllegalArgumentException("splitguard.gateway.auth.jwks-timeout must be between 100ms and "
                    + MAX_JWKS_TIMEOUT + ", was " + jwksTimeout);
        }
        this.jwksTimeout = jwksTimeout;
    }

    /** Largest JWKS document read; a larger one is refused (a key set is a few kilobytes). */
    public int getJwksMaxBytes() {
        return jwksMaxBytes;
    }

    public void setJwksMaxBytes(int jwksMaxBytes) {
        if (jwksMaxBytes < 1024) {
            throw new IllegalArgumentException("splitguard.gateway.auth.jwks-max-bytes must be at least 1024");
        }
        this.jwksMaxBytes = jwksMaxBytes;
    }

    /**
     * How long a verified bearer token is remembered, so that its signature and claims are not checked
     * again on every request (never past its {@code exp} plus the clock skew, which is checked on every
     * use). A key removed from the JWKS still admits the tokens it signed for at most this long.
     * Between {@code 0s} (off) and {@code 5m}.
     */
    public Duration getTokenCacheTtl() {
        return tokenCacheTtl;
    }

    public void setTokenCacheTtl(Duration tokenCacheTtl) {
        Objects.requireNonNull(tokenCacheTtl, "tokenCacheTtl");
        if (tokenCacheTtl.isNegative() || tokenCacheTtl.compareTo(Duration.ofMinutes(5)) > 0) {
            throw new IllegalArgumentException(
                    "splitguard.gateway.auth.token-cache-ttl must be between 0s and 5m, was " + tokenCacheTtl);
        }
        this.tokenCacheTtl = tokenCacheTtl;
    }

    /** The most verified tokens remembered at once (least recently used ones go first). */
    public int getTokenCacheSize() {
        return tokenCacheSize;
    }

    public void setTokenCacheSize(int tokenCacheSize) {
        if (tokenCacheSize < 1) {
            throw new IllegalArgumentException("splitguard.gateway.auth.token-cache-size must be at least 1");
        }
        this.tokenCacheSize = tokenCacheSize;
    }
}
