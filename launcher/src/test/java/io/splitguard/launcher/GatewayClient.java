package io.splitguard.launcher;

import io.splitguard.testsupport.TestHttp;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/** A plain HTTP client of the gateway's CRM update endpoint, as a platform would call it. */
final class GatewayClient {

    static final String PATH = "/api/v2/integrations/crm/contact/update";

    private final String token;

    GatewayClient(String token) {
        this.token = token;
    }

    static String body(String session, int n) {
        return "{\"session_id\":\"" + session + "\",\"contact_id\":\"cust_" + n + "\",\"operation\":\"UPDATE_NOTES\","
                + "\"payload\":{\"interaction_type\":\"voice\",\"agent_id\":\"agent_1\",\"notes\":\"note " + n + "\","
                + "\"timestamp\":\"2024-05-15T14:32:00Z\"}}";
    }

    CompletableFuture<HttpResponse<String>> post(String baseUrl, String key, String body) {
        return new TestHttp(URI.create(baseUrl))
                .postAsync(
                        PATH,
                        body.getBytes(StandardCharsets.UTF_8),
                        "Authorization",
                        "Bearer " + token,
                        "Content-Type",
                        "application/json",
                        "Idempotency-Key",
                        key);
    }

    /**
     * Delivers until the gateway answers 2xx, as a platform's retry queue does: 409 (in flight on
     * that instance) and 503 (Kafka not available) are retried. Any other answer fails the future.
     */
    CompletableFuture<HttpResponse<String>> deliver(String baseUrl, String key, String body) {
        return post(baseUrl, key, body).thenCompose(response -> {
            int status = response.statusCode();
            if (status / 100 == 2) {
                return CompletableFuture.completedFuture(response);
            }
            if (status == 409 || status == 503) {
                return CompletableFuture.supplyAsync(
                                () -> null,
                                CompletableFuture.delayedExecutor(50, java.util.concurrent.TimeUnit.MILLISECONDS))
                        .thenCompose(ignored -> deliver(baseUrl, key, body));
            }
            return CompletableFuture.failedFuture(new AssertionError("unexpected " + status + ": " + response.body()));
        });
    }
}
