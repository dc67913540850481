package io.splitguard.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScopeRolesFinderTest {

    private final ScopeRolesFinder finder = new ScopeRolesFinder();

    @Test
    void shouldSplitTheScopeClaimWhenItIsSpaceSeparated() {
        assertThat(finder.resolveRoles(Map.of("scope", "session:read  session:write")))
                .containsExactly("session:read", "session:write");
    }

    @Test
    void shouldAcceptAnArrayAndIgnoreMissingClaims() {
        assertThat(finder.resolveRoles(Map.of("scope", List.of("admin", "session:read"))))
                .containsExactly("admin", "session:read");
        assertThat(finder.resolveRoles(Map.of("sub", "x"))).isEmpty();
        assertThat(finder.resolveRoles(null)).isEmpty();
    }
}
