package io.splitguard.gateway.checkpoint;

import io.splitguard.gateway.config.CheckpointSettings;
import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.model.StoredCheckpoint;
import jakarta.annotation.PreDestroy;
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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
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

    private static final int LOOKUP_THREADS = 32;
    private static final int LOOKUP_QUEUE = 4096;

    private static final JsonSerde<StoredCheckpoint> SERDE = JsonSerde.unchecked(StoredCheckpoint.class);

    private final CheckpointSettings settings;
    private final HttpClient client;
    /** Reads in flight, each blocking one thread for at most the query timeout; beyond the queue, 503. */
    private final ThreadPoolExecutor pool;
    /** Spreads the questions over the configured instances. */
    private final AtomicInteger next = new AtomicInteger();

    public CheckpointLookup(CheckpointSettings settings) {
        this.settings = settings;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(
                LOOKUP_THREADS,
                LOOKUP_THREADS,
                60,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(LOOKUP_QUEUE),
                r -> {
                    Thread t = new Thread(r, "gateway-checkpoint-lookup-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                },
                new ThreadPoolExecutor.AbortPolicy());
        this.pool.allowCoreThreadTimeOut(true);
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
        return ask(bases, first, path);
    }

    /**
     * Asks the instances in turn from {@code first}, on the lookup pool: an instance that cannot even be
     * connected to (stopped, restarting) passes the question to the next one. Any other failure (a
     * timeout, an error answer) is the answer: the instance that got the question had its chance to
     * forward it.
     *
     * <p>The blocking {@code send} on a pool of our own, not {@code sendAsync}: the JDK client completes
     * asynchronous responses through the common fork-join pool's executor, which on a two-core machine
     * (parallelism 1) starts a new thread for every response.
     */
    private CompletableFuture<Found> ask(List<String> bases, int first, String path) {
        try {
            return CompletableFuture.supplyAsync(
                    () -> {
                        for (int tried = 0; ; tried++) {
                            String base = bases.get((first + tried) % bases.size());
                            HttpRequest request;
                            try {
                                request = HttpRequest.newBuilder(URI.create(base.replaceAll("/+$", "") + path))
                                        .timeout(settings.getQueryTimeout())
                                        .GET()
                                        .build();
                            } catch (IllegalArgumentException e) {
                                throw new Unavailable("bad checkpoint query URL " + base, e);
                            }
                            try {
                                return decode(client.send(request, HttpResponse.BodyHandlers.ofByteArray()));
                            } catch (ConnectException | HttpConnectTimeoutException e) {
                                if (tried + 1 >= bases.size()) {
                                    throw new Unavailable("no checkpoint topology instance could be reached: " + e, e);
                                }
                            } catch (IOException e) {
                                throw new Unavailable("the checkpoint topology did not answer: " + e, e);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                throw new Unavailable("interrupted", e);
                            }
                        }
                    },
                    pool);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new Unavailable("too many checkpoint reads in flight", e));
        }
    }

    @PreDestroy
    void close() {
        pool.shutdownNow();
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
