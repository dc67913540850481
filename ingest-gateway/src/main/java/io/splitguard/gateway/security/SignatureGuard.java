package io.splitguard.gateway.security;

import io.micronaut.context.BeanContext;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.exceptions.ConfigurationException;
import io.micronaut.core.util.StringUtils;
import io.micronaut.security.token.jwt.signature.ReactiveSignatureConfiguration;
import io.micronaut.security.token.jwt.signature.SignatureConfiguration;
import io.micronaut.security.token.jwt.signature.jwks.JwksSignatureConfiguration;
import io.micronaut.security.token.jwt.signature.secret.SecretSignatureConfiguration;
import java.util.Collection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses to start a gateway that has no way to check a token's signature. With no signature
 * configured Micronaut accepts unsigned ({@code alg: none}) tokens, so a deployment that forgot both
 * the HS256 secret and the JWKS URL would let anyone in with any scope. Also logs which mode runs.
 */
@Context
@Requires(property = "micronaut.security.token.jwt.enabled", notEquals = StringUtils.FALSE)
public class SignatureGuard {

    private static final Logger LOG = LoggerFactory.getLogger(SignatureGuard.class);

    public SignatureGuard(BeanContext context) {
        Collection<SecretSignatureConfiguration> secrets = context.getBeansOfType(SecretSignatureConfiguration.class);
        Collection<JwksSignatureConfiguration> jwks = context.getBeansOfType(JwksSignatureConfiguration.class);
        boolean anySignature = !context.getBeansOfType(SignatureConfiguration.class)
                        .isEmpty()
                || !context.getBeansOfType(ReactiveSignatureConfiguration.class).isEmpty();
        if (!anySignature) {
            throw new ConfigurationException("no token signature is configured: set a JWKS URL"
                    + " (micronaut.security.token.jwt.signatures.jwks.<name>.url) or, for local use only,"
                    + " an HS256 secret (micronaut.security.token.jwt.signatures.secret.generator.secret)");
        }
        for (JwksSignatureConfiguration source : jwks) {
            LOG.info(
                    "bearer tokens: signatures checked against the JWKS '{}' at {}", source.getName(), source.getUrl());
        }
        if (!secrets.isEmpty()) {
            if (jwks.isEmpty()) {
                LOG.info("bearer tokens: local mode, HS256 tokens signed with the shared secret");
            } else {
                LOG.warn("bearer tokens: an HS256 secret is configured besides the JWKS; tokens signed with"
                        + " that secret are accepted too. Leave the secret unset in production.");
            }
        }
    }
}
