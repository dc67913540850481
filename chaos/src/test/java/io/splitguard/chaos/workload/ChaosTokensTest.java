package io.splitguard.chaos.workload;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.splitguard.chaos.faults.FaultSchedule;
import io.splitguard.gateway.security.Scopes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChaosTokensTest {

    private static final String SECRET = "chaos-secret-chaos-secret-chaos-secret-0123";

    @Test
    void shouldBeValidOnEveryClockTheScheduleGivesAGatewayForTheWholeRun() throws Exception {
        Instant now = Instant.parse("2026-12-03T09:00:00Z");

        SignedJWT jwt = SignedJWT.parse(
                ChaosTokens.mint(SECRET, "default", List.of(Scopes.SESSION_WRITE), now, ChaosTokens.VALIDITY));
        JWTClaimsSet claims = jwt.getJWTClaimsSet();

        assertThat(jwt.verify(new MACVerifier(SECRET.getBytes(StandardCharsets.UTF_8))))
                .isTrue();
        // a gateway MAX_CLOCK_OFFSET behind still sees nbf and iat in its past...
        Instant earliestGatewayClock = now.minus(FaultSchedule.MAX_CLOCK_OFFSET);
        assertThat(claims.getNotBeforeTime().toInstant()).isBefore(earliestGatewayClock.minus(Duration.ofHours(12)));
        assertThat(claims.getIssueTime().toInstant()).isBefore(earliestGatewayClock.minus(Duration.ofHours(12)));
        // ...and one MAX_CLOCK_OFFSET ahead, hours into the run, still sees exp in its future
        Instant latestGatewayClock = now.plus(FaultSchedule.MAX_CLOCK_OFFSET).plus(Duration.ofHours(12));
        assertThat(claims.getExpirationTime().toInstant()).isAfter(latestGatewayClock);
        assertThat(claims.getStringClaim(Scopes.SCOPE_CLAIM)).isEqualTo(Scopes.SESSION_WRITE);
        assertThat(claims.getStringClaim(Scopes.TENANT_CLAIM)).isEqualTo("default");
    }
}
