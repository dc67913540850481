package io.splitguard.gateway.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.schemas.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A thin java.net.http client for the gateway's endpoints. */
final class Http {

    static final String UPDATE = "/api/v2/integrations/crm/contact/update";

    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;

    Http(URI base) {
        this.base = base;
    }

    /** headers as name, value pairs */
    HttpResponse<String> post(String path, byte[] body, String... headers) {
        return join(postAsync(path, body, headers));
    }

    CompletableFuture<HttpResponse<String>> postAsync(String path, byte[] body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(30))
                .GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return join(client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()));
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return Json.mapper().readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + response.body(), e);
        }
    }

    private static <T> T join(CompletableFuture<T> f) {
        return f.join();
    }
}
