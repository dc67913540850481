package io.splitguard.chaos.workload;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.splitguard.gateway.security.Scopes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.UUID;

/**
 * The workload's bearer tokens (HS256, the secret the harness gives the gateways). A gateway checks
 * {@code nbf}, {@code iat} and {@code exp} on its own clock, so a gateway whose clock is days off would
 * refuse (401) a token minted "now" for a few hours. These tokens are valid from {@code validity}
 * before the moment they are minted until {@code validity} after it, which covers every clock offset
 * the fault schedule gives a gateway: a skewed gateway really takes the workload's traffic.
 */
public final class ChaosTokens {

    /** More than {@code FaultSchedule.MAX_CLOCK_OFFSET} either way, plus the run's own length. */
    public static final Duration VALIDITY = Duration.ofDays(3);

    private ChaosTokens() {}

    public static String mint(String secret, String tenant, Collection<String> scopes, Instant now, Duration validity) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .subject("splitguard-chaos")
                .issuer("splitguard-local")
                .jwtID(UUID.randomUUID().toString())
                .issueTime(Date.from(now.minus(validity)))
                .notBeforeTime(Date.from(now.minus(validity)))
                .expirationTime(Date.from(now.plus(validity)))
                .claim(Scopes.SCOPE_CLAIM, String.join(" ", scopes))
                .claim(Scopes.TENANT_CLAIM, tenant)
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        try {
            jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a token: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }
}
