package io.splitguard.gateway.security;

import io.micronaut.security.authentication.Authentication;

/** The scopes and claims the gateway's routes rely on. */
public final class Scopes {

    public static final String SESSION_WRITE = "session:write";
    public static final String SESSION_READ = "session:read";
    public static final String ADMIN = "admin";

    public static final String SCOPE_CLAIM = "scope";
    public static final String TENANT_CLAIM = "tenant";
    public static final String DEFAULT_TENANT = "default";

    private Scopes() {}

    /** The tenant named by the token, {@value #DEFAULT_TENANT} when the claim is absent or blank. */
    public static String tenantOf(Authentication authentication) {
        if (authentication == null) {
            return DEFAULT_TENANT;
        }
        Object tenant = authentication.getAttributes().get(TENANT_CLAIM);
        if (tenant == null || tenant.toString().isBlank()) {
            return DEFAULT_TENANT;
        }
        return tenant.toString();
    }
}
