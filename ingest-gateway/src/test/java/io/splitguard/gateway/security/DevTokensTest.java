package io.splitguard.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class DevTokensTest {

    private static final String SECRET = "0123456789abcdef0123456789abcdef-test";

    @Test
    void shouldMintAnHs256TokenWithTenantAndScopes() throws Exception {
        String token = DevTokens.mint(SECRET, "acme", List.of("session:write", "session:read"), Duration.ofMinutes(5));
        SignedJWT jwt = SignedJWT.parse(token);

        assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.HS256);
        assertThat(jwt.verify(new MACVerifier(SECRET.getBytes(StandardCharsets.UTF_8))))
                .isTrue();
        assertThat(jwt.getJWTClaimsSet().getStringClaim("tenant")).isEqualTo("acme");
        assertThat(jwt.getJWTClaimsSet().getStringClaim("scope")).isEqualTo("session:write session:read");
        assertThat(jwt.getJWTClaimsSet().getExpirationTime().toInstant()).isAfter(Instant.now());
    }

    @Test
    void shouldRefuseToMintWhenTheSecretIsShort() {
        assertThatThrownBy(() -> DevTokens.mint("short", "t", List.of(), Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
