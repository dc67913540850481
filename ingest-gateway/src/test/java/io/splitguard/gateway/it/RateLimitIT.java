package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Per-client, per-route budgets against a real broker: a client past its budget gets 429 problems with
 * Retry-After before anything is claimed or produced, another client's budget is untouched, and the
 * same client's budget on another route is its own.
 */
@ExtendWith(SharedInfra.class)
class RateLimitIT {

    private static final int LIMIT = 5;

    private static String bootstrap;
    private static TopicCatalog catalog;
    private static GatewayServer gateway;
    private static TestHttp http;

    @BeforeAll
    static void start() {
        bootstrap = SharedInfra.kafka().bootstrapServers();
        String prefix = SharedInfra.uniqueName("rate-limit") + ".";
        catalog = Fixtures.catalog(prefix);
        Fixtures.bootstrap(bootstrap, catalog);
        Map<String, Object> properties = Fixtures.properties(bootstrap, prefix);
        properties.put("splitguard.gateway.rate-limit.limit-for-period", LIMIT);
        // one period spans the whole test: the budgets it spends are never refilled under it
        properties.put("splitguard.gateway.rate-limit.refresh-period", "PT10M");
        gateway = Fixtures.start(properties);
        http = new TestHttp(gateway.url());
        await().atMost(Duration.ofSeconds(30))
                .until(() -> http.get("/health/ready").statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private static HttpResponse<String> update(String token, String key) {
        return http.post(
                Fixtures.UPDATE,
                Fixtures.update(Fixtures.newSession(), "rate " + key, null),
                "Authorization",
                token,
                "Content-Type",
                "application/json",
                "Idempotency-Key",
                key);
    }

    @Test
    void shouldRefuseAClientPastItsBudgetWithoutTouchingAnotherClientOrRoute() {
        String noisy = Fixtures.token("noisy-tenant", "session:write", "session:read");
        String quiet = Fixtures.token("quiet-tenant", "session:write");
        List<String> accepted = new ArrayList<>();
        List<HttpResponse<String>> refused = new ArrayList<>();
        List<String> refusedKeys = new ArrayList<>();
        for (int i = 0; i < LIMIT + 3; i++) {
            String key = "rl-" + UUID.randomUUID();
            HttpResponse<String> r = update(noisy, key);
            if (r.statusCode() == 200) {
                accepted.add(key);
            } else {
                refused.add(r);
                refusedKeys.add(key);
            }
        }

        assertThat(accepted).hasSize(LIMIT);
        assertThat(refused).hasSize(3);
        for (HttpResponse<String> r : refused) {
            assertThat(r.statusCode()).isEqualTo(429);
            assertThat(r.headers().firstValue("Content-Type")).get().asString().startsWith("application/problem+json");
            assertThat(Fixtures.json(r).path("type").asText()).endsWith("/rate-limited");
            assertThat(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow()))
                    .isPositive();
            assertThat(r.headers().firstValue("RateLimit-Limit")).contains(Integer.toString(LIMIT));
            assertThat(r.headers().firstValue("RateLimit-Remaining")).contains("0");
        }
        // nothing of a refused request was produced, and its key was not remembered as an outcome
        for (String key : refusedKeys) {
            assertThat(Fixtures.mutationsWithKey(bootstrap, catalog, key)).isEmpty();
            HttpResponse<String> lookup = http.get("/api/v2/idempotency/" + key, "Authorization", noisy);
            assertThat(lookup.statusCode())
                    .as("a 429 is not an outcome: " + lookup.body())
                    .isEqualTo(404);
        }
        // the other tenant has a budget of its own
        for (int i = 0; i < LIMIT; i++) {
            HttpResponse<String> r = update(quiet, "quiet-" + UUID.randomUUID());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("RateLimit-Remaining")).contains(Integer.toString(LIMIT - 1 - i));
        }
    }
}
