package io.splitguard.gateway.checkpoint;

import io.splitguard.gateway.config.CheckpointSettings;
import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.model.StoredCheckpoint;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Asks the checkpoint topology ({@code GET {query-url}/internal/checkpoints/{session_id}}) for a session's
 * latest checkpoint; any instance answers, forwarding to the one owning the session. Asynchronous: the
 * event loop never waits. The gateway keeps no copy of any checkpoint.
 */
@Singleton
public class CheckpointLookup {

    /** What the topology said. */
    public sealed interface Found {}

    /** The stored checkpoint (not expired on the topology's clock). */
    public record Present(StoredCheckpoint checkpoint) implements Found {}

    /** No checkpoint: {@code none} or {@code expired}. */
    public record Absent(String reason) implements Found {}

    /** Thrown (inside the future) when the topology cannot answer. */
    public static final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Unavailable(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    private static final JsonSerde<StoredCheckpoint> SERDE = JsonSerde.unchecked(StoredCheckpoint.class);

    private final CheckpointSettings settings;
    private final HttpClient client;

    public CheckpointLookup(CheckpointSettings settings) {
        this.settings = settings;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.getQueryTimeout())
                .build();
    }

    /**
     * The latest checkpoint of {@code sessionId}; with {@code position} (a write's {@code partition:offset})
     * one at least as new as that write, or a failure when the topology has not reached it in time.
     */
    public CompletableFuture<Found> latest(String sessionId, Optional<String> position) {
        String base = settings.getQueryUrl();
        if (base.isEmpty()) {
            return CompletableFuture.failedFuture(new Unavailable(
                    "no checkpoint query URL is configured (splitguard.gateway.checkpoint.query-url)", null));
        }
        String uri = base.replaceAll("/+$", "") + "/internal/checkpoints/"
                + URLEncoder.encode(sessionId, StandardCharsets.UTF_8).replace("+", "%20")
                + position.map(p -> "?min_offset=" + URLEncoder.encode(p, StandardCharsets.UTF_8))
                        .orElse("");
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(URI.create(uri))
                    .timeout(settings.getQueryTimeout())
                    .GET()
                    .build();
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new Unavailable("bad checkpoint query URL " + base, e));
        }
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                .handle((response, error) -> {
                    if (error != null) {
                        throw new Unavailable("the checkpoint topology did not answer: " + error, error);
                    }
                    return decode(response);
                });
    }

    private static Found decode(HttpResponse<byte[]> response) {
        try {
            if (response.statusCode() == 200) {
                return new Present(SERDE.fromBytes(response.body()));
            }
            if (response.statusCode() == 404) {
                String reason = io.splitguard.schemas.json.Json.mapper()
                        .readTree(response.body())
                        .path("reason")
                        .asText("");
                if (reason.equals("none") || reason.equals("expired")) {
                    return new Absent(reason);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new Unavailable("the checkpoint topology's answer cannot be read", e);
        }
        throw new Unavailable("the checkpoint topology answered " + response.statusCode(), null);
    }
}
