package io.splitguard.gateway.security;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.security.token.DefaultRolesFinder;
import io.micronaut.security.token.RolesFinder;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * OAuth-style authorization: the token's {@code scope} claim (RFC 8693: one string of
 * space-separated scopes, also accepted as a JSON array) becomes the roles {@code @Secured} checks.
 */
@Singleton
@Replaces(DefaultRolesFinder.class)
public class ScopeRolesFinder implements RolesFinder {

    @Override
    public List<String> resolveRoles(Map<String, Object> attributes) {
        if (attributes == null) {
            return List.of();
        }
        return parse(attributes.get(Scopes.SCOPE_CLAIM));
    }

    static List<String> parse(Object claim) {
        Set<String> scopes = new LinkedHashSet<>();
        if (claim instanceof Collection<?> values) {
            for (Object value : values) {
                if (value != null) {
                    split(value.toString(), scopes);
                }
            }
        } else if (claim != null) {
            split(claim.toString(), scopes);
        }
        return new ArrayList<>(scopes);
    }

    private static void split(String text, Set<String> into) {
        for (String part : text.trim().split("\\s+")) {
            if (!part.isEmpty()) {
                into.add(part);
            }
        }
    }
}
