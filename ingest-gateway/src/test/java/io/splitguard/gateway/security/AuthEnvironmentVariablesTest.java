package io.splitguard.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import io.micronaut.context.env.MapPropertySource;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The environment variables docs/AUTHENTICATION.md tells operators to set reach the settings they name. */
class AuthEnvironmentVariablesTest {

    /** Variables read the way Micronaut reads the process environment. */
    private static final class EnvironmentVariables extends MapPropertySource {
        EnvironmentVariables(Map<String, Object> variables) {
            super("env", variables);
        }

        @Override
        public PropertyConvention getConvention() {
            return PropertyConvention.ENVIRONMENT_VARIABLE;
        }
    }

    @Test
    void shouldMapTheDocumentedEnvironmentVariablesWhenAnOperatorSetsThem() {
        Map<String, Object> variables = Map.of(
                "MICRONAUT_SECURITY_TOKEN_JWT_SIGNATURES_JWKS_IDP_URL", "https://idp.example.test/jwks.json",
                "MICRONAUT_SECURITY_TOKEN_JWT_SIGNATURES_JWKS_IDP_CACHE_EXPIRATION", "300",
                "MICRONAUT_SECURITY_TOKEN_JWT_CLAIMS_VALIDATORS_ISSUER", "https://idp.example.test/realms/prod",
                "MICRONAUT_SECURITY_TOKEN_JWT_CLAIMS_VALIDATORS_AUDIENCE", "splitguard-gateway",
                "SPLITGUARD_GATEWAY_AUTH_CLOCK_SKEW", "30s");
        try (ApplicationContext context = ApplicationContext.builder()
                .deduceEnvironment(false)
                .propertySources(new EnvironmentVariables(variables))
                .build()) {
            Environment environment = context.getEnvironment().start();

            assertThat(environment.getPropertyEntries("micronaut.security.token.jwt.signatures.jwks"))
                    .containsExactly("idp");
            assertThat(environment.getProperty("micronaut.security.token.jwt.signatures.jwks.idp.url", String.class))
                    .contains("https://idp.example.test/jwks.json");
            assertThat(environment.getProperty(
                            "micronaut.security.token.jwt.signatures.jwks.idp.cache-expiration", Integer.class))
                    .contains(300);
            assertThat(environment.getProperty("micronaut.security.token.jwt.claims-validators.issuer", String.class))
                    .contains("https://idp.example.test/realms/prod");
            assertThat(environment.getProperty("micronaut.security.token.jwt.claims-validators.audience", String.class))
                    .contains("splitguard-gateway");
            assertThat(environment.getProperty("splitguard.gateway.auth.clock-skew", Duration.class))
                    .contains(Duration.ofSeconds(30));
        }
    }
}
