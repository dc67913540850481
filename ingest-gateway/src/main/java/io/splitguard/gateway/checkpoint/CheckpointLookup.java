package io.splitguard.gateway.checkpoint;

import io.splitguard.gateway.config.CheckpointSettings;
import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.model.StoredCheckpoint;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Asks the checkpoint topology ({@code GET {query-url}/internal/checkpoints/{session_id}}) for a session's
 * latest checkpoint; any instance answers, forwarding to the one owning the session. With several
 * configured instances the questions rotate over them, and one that cannot be connected to is skipped. Asynchronous: the
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
    /** Spreads the questions over the configured instances. */
    private final AtomicInteger next = new AtomicInteger();

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
        List<String> bases = settings.queryUrls();
        if (bases.isEmpty()) {
            return CompletableFuture.failedFuture(new Unavailable(
                    "no checkpoint query URL is configured (splitguard.gateway.checkpoint.query-url)", null));
        }
        String path = "/internal/checkpoints/"
                + URLEncoder.encode(sessionId, StandardCharsets.UTF_8).replace("+", "%20")
                + position.map(p -> "?min_offset=" + URLEncoder.encode(p, StandardCharsets.UTF_8))
                        .orElse("");
        int first = Math.floorMod(next.getAndIncrement(), bases.size());
        return ask(bases, first, 0, path);
    }

    /**
     * Asks the {@code tried}-th instance after {@code first}; an instance that cannot even be connected
     * to (stopped, restarting) passes the question to the next one. Any other failure (a timeout, an
     * error answer) is the answer: the instance that got the question had its chance to forward it.
     */
    private CompletableFuture<Found> ask(List<String> bases, int first, int tried, String path) {
        String base = bases.get((first + tried) % bases.size());
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(URI.create(base.replaceAll("/+$", "") + path))
                    .timeout(settings.getQueryTimeout())
                    .GET()
                    .build();
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new Unavailable("bad checkpoint query URL " + base, e));
        }
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                .handle((response, error) -> {
                    if (error == null) {
                        return CompletableFuture.completedFuture(decode(response));
                    }
                    Throwable cause =
                            error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                    boolean notReached =
                            cause instanceof ConnectException || cause instanceof HttpConnectTimeoutException;
                    if (notReached && tried + 1 < bases.size()) {
                        return ask(bases, first, tried + 1, path);
                    }
                    return CompletableFuture.<Found>failedFuture(
                            new Unavailable("the checkpoint topology did not answer: " + cause, cause));
                })
                .thenCompose(f -> f);
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
