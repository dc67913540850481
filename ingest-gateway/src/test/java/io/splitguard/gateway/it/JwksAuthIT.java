package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.gateway.security.DevTokens;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Production authentication: RS256 and ES256 tokens checked against keys served by a JWKS endpoint
 * (a local HTTP server here), with issuer, audience, lifetime and key rotation, against a real broker.
 *
 * <p>The gateway reads two key sets: {@code idp}, cached for an hour (so any fetch of it during a
 * test is a fetch Micronaut chose to make), and {@code rotating}, cached for one second, whose keys
 * the rotation test changes.
 */
@ExtendWith(SharedInfra.class)
class JwksAuthIT {

    private static final String JSON = "application/json";
    private static final String ISSUER = "https://idp.splitguard.test/realms/prod";
    private static final String AUDIENCE = "splitguard-gateway";
    private static final Duration SKEW = Duration.ofSeconds(30);

    private static final KeySet IDP = new KeySet();
    private static final KeySet ROTATING = new KeySet();

    private static RSAKey rsa;
    private static ECKey ec;
    private static RSAKey rotatingFirst;
    private static RSAKey rotatingSecond;
    private static HttpServer jwksServer;
    private static String bootstrap;
    private static String prefix;
    private static TopicCatalog catalog;
    private static GatewayServer gateway;
    private static TestHttp http;

    /** A key set served at one path, counting its downloads. */
    private static final class KeySet {
        private final List<JWK> keys = new CopyOnWriteArrayList<>();
        private final AtomicInteger fetches = new AtomicInteger();

        byte[] document() {
            return new JWKSet(List.copyOf(keys)).toPublicJWKSet().toString().getBytes(StandardCharsets.UTF_8);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        rotatingFirst = new RSAKeyGenerator(2048).keyID("rot-1").generate();
        rotatingSecond = new RSAKeyGenerator(2048).keyID("rot-2").generate();
        IDP.keys.addAll(List.of(rsa, ec));
        ROTATING.keys.add(rotatingFirst);

        jwksServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        serve("/idp/jwks.json", IDP);
        serve("/rotating/jwks.json", ROTATING);
        jwksServer.start();

        bootstrap = SharedInfra.kafka().bootstrapServers();
        prefix = SharedInfra.uniqueName("jwks") + ".";
        catalog = Fixtures.catalog(prefix);
        Fixtures.bootstrap(bootstrap, catalog);
        gateway = Fixtures.start(productionProperties());
        http = new TestHttp(gateway.url());
        await().atMost(Duration.ofSeconds(30))
                .until(() -> http.get("/health/ready").statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (jwksServer != null) {
            jwksServer.stop(0);
        }
    }

    private static void serve(String path, KeySet set) {
        jwksServer.createContext(path, exchange -> {
            set.fetches.incrementAndGet();
            byte[] body = set.document();
            exchange.getResponseHeaders().add("Content-Type", "application/jwk-set+json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
    }

    private static String jwksUrl(String path) {
        return "http://127.0.0.1:" + jwksServer.getAddress().getPort() + path;
    }

    /** The shared test settings without the HS256 secret, with the JWKS, issuer, audience and skew. */
    private static Map<String, Object> productionProperties() {
        Map<String, Object> p = new HashMap<>(Fixtures.properties(bootstrap, prefix));
        p.remove("micronaut.security.token.jwt.signatures.secret.generator.secret");
        p.put("micronaut.security.token.jwt.signatures.jwks.idp.url", jwksUrl("/idp/jwks.json"));
        p.put("micronaut.security.token.jwt.signatures.jwks.idp.cache-expiration", 3600);
        p.put("micronaut.security.token.jwt.signatures.jwks.rotating.url", jwksUrl("/rotating/jwks.json"));
        p.put("micronaut.security.token.jwt.signatures.jwks.rotating.cache-expiration", 1);
        p.put("micronaut.security.token.jwt.claims-validators.issuer", ISSUER);
        p.put("micronaut.security.token.jwt.claims-validators.audience", AUDIENCE);
        p.put("splitguard.gateway.auth.clock-skew", SKEW.toSeconds() + "s");
        return p;
    }

    /** Claims of a valid write token for tenant acme, changed by {@code change}. */
    private static JWTClaimsSet claims(UnaryOperator<JWTClaimsSet.Builder> change) {
        Instant now = Instant.now();
        JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder()
                .subject("crm-connector")
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .jwtID(UUID.randomUUID().toString())
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofMinutes(5))))
                .claim("scope", "session:write session:read")
                .claim("tenant", "acme");
        return change.apply(builder).build();
    }

    private static String sign(JWK key, JWTClaimsSet claims) {
        try {
            JWSSigner signer;
            JWSAlgorithm algorithm;
            if (key instanceof RSAKey rsaKey) {
                signer = new RSASSASigner(rsaKey);
                algorithm = JWSAlgorithm.RS256;
            } else {
                signer = new ECDSASigner((ECKey) key);
                algorithm = JWSAlgorithm.ES256;
            }
            SignedJWT jwt = new SignedJWT(
                    new JWSHeader.Builder(algorithm).keyID(key.getKeyID()).build(), claims);
            jwt.sign(signer);
            return "Bearer " + jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sign(JWK key) {
        return sign(key, claims(b -> b));
    }

    private static HttpResponse<String> write(String authorization) {
        return http.post(
                Fixtures.UPDATE,
                Fixtures.update(Fixtures.newSession(), "jwks", null),
                "Authorization",
                authorization,
                "Content-Type",
                JSON,
                "Idempotency-Key",
                "key-" + UUID.randomUUID());
    }

    private static void assertProblem(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type"))
                .get()
                .asString()
                .startsWith("application/problem+json");
        JsonNode problem = Fixtures.json(response);
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        assertThat(problem.path("title").asText()).isNotBlank();
    }

    @Test
    void shouldAcceptAnRs256WriteTokenAndRecordItsTenantWhenItsKeyIsInTheJwks() {
        String key = "key-" + UUID.randomUUID();
        HttpResponse<String> response = http.post(
                Fixtures.UPDATE,
                Fixtures.update(Fixtures.newSession(), "rs256", null),
                "Authorization",
                sign(rsa),
                "Content-Type",
                JSON,
                "Idempotency-Key",
                key);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(Fixtures.mutationsWithKey(bootstrap, catalog, key))
                .singleElement()
                .extracting(MutationRequest::tenant)
                .isEqualTo("acme");
    }

    @Test
    void shouldAcceptAnEs256WriteTokenWhenItsKeyIsInTheJwks() {
        HttpResponse<String> response = write(sign(ec));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    @Test
    void shouldAnswer401WhenTheIssuerIsWrongMissingOrOnlyASuffixOfTheExpectedOne() {
        assertProblem(write(sign(rsa, claims(b -> b.issuer("https://other-idp.splitguard.test/realms/prod")))), 401);
        assertProblem(write(sign(rsa, claims(b -> b.issuer(null)))), 401);
        // Micronaut's own check would take these: the expected issuer ends with them
        assertProblem(write(sign(rsa, claims(b -> b.issuer("realms/prod")))), 401);
        assertProblem(write(sign(rsa, claims(b -> b.issuer("http://idp.splitguard.test/realms/prod/")))), 401);
        assertProblem(write(sign(rsa, claims(b -> b.issuer("")))), 401);
    }

    @Test
    void shouldAnswer401WhenTheAudienceIsWrongOrMissing() {
        assertProblem(write(sign(rsa, claims(b -> b.audience("another-api")))), 401);
        assertProblem(write(sign(rsa, claims(b -> b.audience((String) null)))), 401);

        HttpResponse<String> amongOthers = write(sign(rsa, claims(b -> b.audience(List.of("another-api", AUDIENCE)))));
        assertThat(amongOthers.statusCode()).as(amongOthers.body()).isEqualTo(200);
    }

    @Test
    void shouldAnswer401WhenTheTokenExpiredBeyondTheClockSkewOrHasNoExpiry() {
        Instant now = Instant.now();
        assertProblem(
                write(sign(rsa, claims(b -> b.issueTime(Date.from(now.minus(Duration.ofMinutes(10))))
                        .expirationTime(Date.from(now.minus(SKEW).minusSeconds(30)))))),
                401);
        assertProblem(write(sign(rsa, claims(b -> b.expirationTime(null)))), 401);
        assertProblem(
                write(sign(
                        rsa,
                        claims(b -> b.notBeforeTime(Date.from(now.plus(SKEW).plusSeconds(60)))))),
                401);
    }

    @Test
    void shouldAcceptATokenWhenItExpiredOrStartsWithinTheClockSkew() {
        Instant now = Instant.now();
        HttpResponse<String> justExpired = write(sign(rsa, claims(b -> b.issueTime(Date.from(now.minusSeconds(600)))
                .expirationTime(Date.from(now.minus(SKEW).plusSeconds(20))))));
        assertThat(justExpired.statusCode()).as(justExpired.body()).isEqualTo(200);

        HttpResponse<String> early = write(sign(rsa, claims(b -> b.notBeforeTime(Date.from(now.plusSeconds(10)))
                .issueTime(Date.from(now.plusSeconds(10))))));
        assertThat(early.statusCode()).as(early.body()).isEqualTo(200);
    }

    @Test
    void shouldAnswer401WithoutFetchingTheKeysAgainWhenTheTokenIsSignedByAnUnknownKey() throws Exception {
        assertThat(write(sign(rsa)).statusCode()).isEqualTo(200);
        int fetchesBefore = IDP.fetches.get();
        RSAKey stranger = new RSAKeyGenerator(2048).keyID("stranger").generate();
        RSAKey impostor = new RSAKeyGenerator(2048).keyID(rsa.getKeyID()).generate();
        ECKey ecImpostor = new ECKeyGenerator(Curve.P_256).keyID(ec.getKeyID()).generate();

        assertProblem(write(sign(stranger)), 401);
        assertProblem(write(sign(impostor)), 401);
        assertProblem(write(sign(ecImpostor)), 401);
        // no key id at all: every key is tried, none matches
        SignedJWT noKid = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims(b -> b));
        noKid.sign(new RSASSASigner(stranger));
        assertProblem(write("Bearer " + noKid.serialize()), 401);
        // an HS256 token (local mode's kind) and an unsigned one mean nothing in production mode
        assertProblem(
                write("Bearer "
                        + DevTokens.mint(Fixtures.SECRET, "acme", List.of("session:write"), Duration.ofMinutes(5))),
                401);
        assertProblem(write("Bearer " + new PlainJWT(claims(b -> b)).serialize()), 401);

        // an unknown kid does not make Micronaut download the key set again before it expires
        assertThat(IDP.fetches.get()).isEqualTo(fetchesBefore);
    }

    @Test
    void shouldAcceptANewKeyAndRefuseARemovedOneWhenTheRotatedJwksIsFetchedAgain() {
        HttpResponse<String> first = write(sign(rotatingFirst));
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);

        // the identity provider publishes a second key, then signs with it
        ROTATING.keys.add(rotatingSecond);
        int fetched = ROTATING.fetches.get();
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> write(sign(rotatingSecond)).statusCode() == 200);
        assertThat(ROTATING.fetches.get()).isGreaterThan(fetched);

        // then retires the first key
        ROTATING.keys.remove(rotatingFirst);
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> write(sign(rotatingFirst)).statusCode() == 401);
        assertProblem(write(sign(rotatingFirst)), 401);
        HttpResponse<String> current = write(sign(rotatingSecond));
        assertThat(current.statusCode()).as(current.body()).isEqualTo(200);
    }

    @Test
    void shouldAnswerARepeatedTokenFromMemoryAndStillRefuseAForgedCopyOfIt() {
        io.splitguard.gateway.security.VerifiedTokenCache cache =
                gateway.context().getBean(io.splitguard.gateway.security.VerifiedTokenCache.class);
        String token = sign(rsa);
        long before = cache.remembered();

        for (int i = 0; i < 3; i++) {
            HttpResponse<String> ok = write(token);
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        }
        // verified once, remembered once: the cache sits in front of Micronaut's validator
        assertThat(cache.remembered()).isEqualTo(before + 1);

        // one character of the signature changed: another string, checked in full and refused
        int at = token.length() - 2;
        String forged = token.substring(0, at) + (token.charAt(at) == 'A' ? 'B' : 'A') + token.substring(at + 1);
        assertProblem(write(forged), 401);
        assertThat(cache.remembered()).isEqualTo(before + 1);
    }

    @Test
    void shouldAnswer403WhenAReadOnlyTokenPostsAWrite() {
        assertProblem(write(sign(rsa, claims(b -> b.claim("scope", "session:read")))), 403);
        assertProblem(write(sign(ec, claims(b -> b.claim("scope", null)))), 403);
    }

    @Test
    void shouldAnswer401WhenNoTokenIsSent() {
        assertProblem(
                http.post(
                        Fixtures.UPDATE,
                        Fixtures.update(Fixtures.newSession(), "none", null),
                        "Content-Type",
                        JSON,
                        "Idempotency-Key",
                        "key-" + UUID.randomUUID()),
                401);
    }

    @Test
    void shouldRefuseToStartWhenNeitherAJwksNorASecretIsConfigured() {
        Map<String, Object> p = new HashMap<>(Fixtures.properties(bootstrap, prefix));
        p.remove("micronaut.security.token.jwt.signatures.secret.generator.secret");

        assertThatThrownBy(() -> Fixtures.start(p).close()).hasStackTraceContaining("no token signature is configured");
    }
}
