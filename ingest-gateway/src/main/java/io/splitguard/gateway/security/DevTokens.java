package io.splitguard.gateway.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.Objects;
import java.util.UUID;

/**
 * Mints HS256 bearer tokens that the gateway accepts in local mode (the secret configured under
 * {@code micronaut.security.token.jwt.signatures.secret.generator.secret}). For tests and for the
 * launcher's "here is a dev token" line; production tokens come from an identity provider.
 */
public final class DevTokens {

    /** HS256 needs a key of at least 256 bits. */
    public static final int MIN_SECRET_BYTES = 32;

    private DevTokens() {}

    public static String mint(String secret, String tenant, Collection<String> scopes, Duration ttl) {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(scopes, "scopes");
        Objects.requireNonNull(ttl, "ttl");
        byte[] key = secret.getBytes(StandardCharsets.UTF_8);
        if (key.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("the HS256 secret must have at least " + MIN_SECRET_BYTES + " bytes");
        }
        Instant now = Instant.now();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .subject("splitguard-dev")
                .issuer("splitguard-local")
                .jwtID(UUID.randomUUID().toString())
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now.minusSeconds(5)))
                .expirationTime(Date.from(now.plus(ttl)))
                .claim(Scopes.SCOPE_CLAIM, String.join(" ", scopes));
        if (tenant != null) {
            claims.claim(Scopes.TENANT_CLAIM, tenant);
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
        try {
            jwt.sign(new MACSigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a dev token: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }
}
