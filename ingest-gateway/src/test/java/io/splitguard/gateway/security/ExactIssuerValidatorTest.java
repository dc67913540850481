package io.splitguard.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ExactIssuerValidatorTest {

    private static final String ISSUER = "https://idp.example.test/realms/prod";
    private final ExactIssuerValidator<Object> validator = new ExactIssuerValidator<>(ISSUER);

    @Test
    void shouldAcceptWhenTheIssuerIsExactlyTheConfiguredOne() {
        assertThat(validator.matches(ISSUER)).isTrue();
    }

    @Test
    void shouldRefuseWhenTheIssuerIsOnlyASuffixOrAnotherSpelling() {
        assertThat(validator.matches("realms/prod")).isFalse();
        assertThat(validator.matches("")).isFalse();
        assertThat(validator.matches("http://idp.example.test/realms/prod")).isFalse();
        assertThat(validator.matches(ISSUER + "/")).isFalse();
        assertThat(validator.matches(null)).isFalse();
    }

    @Test
    void shouldRefuseToStartWhenTheConfiguredIssuerIsBlank() {
        assertThatThrownBy(() -> new ExactIssuerValidator<>(" ")).isInstanceOf(IllegalArgumentException.class);
    }
}
