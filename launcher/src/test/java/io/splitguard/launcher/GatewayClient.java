package io.splitguard.launcher;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A plain HTTP client of the gateway's CRM update endpoint, as a platform would call it. */
final class GatewayClient {

    static final String PATH = "/api/v2/integrations/crm/contact/update";

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
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
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + PATH))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
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
