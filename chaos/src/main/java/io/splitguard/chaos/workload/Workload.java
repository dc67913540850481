package io.splitguard.chaos.workload;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.PayloadHash;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Platforms in several regions sending the same webhooks: every update is delivered by two regions
 * at once (to different gateway instances), retried on 409/503/errors like a platform's retry
 * queue, some are replayed late, and a few re-use a key with another body. Every attempt is
 * recorded in the {@link History}.
 */
public final class Workload implements AutoCloseable {

    private static final String PATH = "/api/v2/integrations/crm/contact/update";

    private final List<String> gateways;
    private final String token;
    private final int sessions;
    private final double eventsPerSecond;
    private final Random random;
    private final History history;
    private final Duration retryFor;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "workload");
        t.setDaemon(true);
        return t;
    });
    private final Semaphore inFlight = new Semaphore(96);
    private final AtomicLong events = new AtomicLong();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile boolean running;

    public Workload(
            List<String> gateways,
            String token,
            int sessions,
            double eventsPerSecond,
            long seed,
            History history,
            Duration retryFor) {
        this.gateways = List.copyOf(gateways);
        this.token = token;
        this.sessions = sessions;
        this.eventsPerSecond = eventsPerSecond;
        this.random = new Random(seed);
        this.history = history;
        this.retryFor = retryFor;
    }

    public void start() {
        running = true;
        long periodMicros = (long) (1_000_000 / eventsPerSecond);
        scheduler.scheduleAtFixedRate(this::newEvent, 0, periodMicros, TimeUnit.MICROSECONDS);
    }

    /** Stops generating new events; deliveries under way finish (or give up) on their own. */
    public void stopGenerating() {
        running = false;
    }

    /** Deliveries (including retries and scheduled replays) not yet finished. */
    public int pending() {
        return pending.get();
    }

    public long events() {
        return events.get();
    }

    private synchronized void newEvent() {
        if (!running) {
            return;
        }
        long n = events.incrementAndGet();
        String session = "sess-" + random.nextInt(sessions);
        String key = "chaos-" + n;
        String body = body(session, n, "note " + n);
        int first = random.nextInt(gateways.size());
        deliver(
                "region-a",
                "write",
                key,
                session,
                body,
                gateways.get(first),
                Instant.now().plus(retryFor));
        deliver(
                "region-b",
                "write",
                key,
                session,
                body,
                gateways.get((first + 1) % gateways.size()),
                Instant.now().plus(retryFor));
        double dice = random.nextDouble();
        if (dice < 0.10) {
            long delay = 3_000 + random.nextInt(15_000);
            later(
                    delay,
                    () -> deliver(
                            "region-c",
                            "replay",
                            key,
                            session,
                            body,
                            gateways.get(random.nextInt(gateways.size())),
                            Instant.now().plus(retryFor)));
        } else if (dice < 0.12) {
            String other = body(session, n, "changed " + n);
            long delay = 1_000 + random.nextInt(4_000);
            later(delay, () -> {
                pending.incrementAndGet();
                attempt("region-c", "conflict", key, session, other, gateways.get(random.nextInt(gateways.size())))
                        .whenComplete((r, e) -> pending.decrementAndGet());
            });
        }
    }

    private void later(long delayMs, Runnable action) {
        pending.incrementAndGet();
        scheduler.schedule(
                () -> {
                    try {
                        action.run();
                    } finally {
                        pending.decrementAndGet();
                    }
                },
                delayMs,
                TimeUnit.MILLISECONDS);
    }

    static String body(String session, long n, String notes) {
        return "{\"session_id\":\"" + session + "\",\"contact_id\":\"cust_" + n + "\",\"operation\":\"UPDATE_NOTES\","
                + "\"payload\":{\"interaction_type\":\"voice\",\"agent_id\":\"agent_" + (n % 97) + "\",\"notes\":\""
                + notes + "\","
                + "\"timestamp\":\"2024-05-15T14:32:00Z\"}}";
    }

    private void deliver(
            String client, String kind, String key, String session, String body, String gateway, Instant giveUpAt) {
        pending.incrementAndGet();
        retryLoop(client, kind, key, session, body, gateway, giveUpAt, 200)
                .whenComplete((r, e) -> pending.decrementAndGet());
    }

    private CompletableFuture<Void> retryLoop(
            String client,
            String kind,
            String key,
            String session,
            String body,
            String gateway,
            Instant giveUpAt,
            long backoffMs) {
        return attempt(client, kind, key, session, body, gateway).thenCompose(op -> {
            boolean retryable = op.result().equals(Op.INFO) || op.status() == 409;
            if (!retryable || Instant.now().isAfter(giveUpAt)) {
                return CompletableFuture.completedFuture(null);
            }
            long next = Math.min(backoffMs * 2, 2_000);
            return CompletableFuture.runAsync(
                            () -> {}, CompletableFuture.delayedExecutor(backoffMs, TimeUnit.MILLISECONDS))
                    .thenCompose(x -> retryLoop(client, kind, key, session, body, gateway, giveUpAt, next));
        });
    }

    private CompletableFuture<Op> attempt(
            String client, String kind, String key, String session, String body, String gateway) {
        try {
            inFlight.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(e);
        }
        long id = history.nextId();
        long invoked = System.currentTimeMillis();
        String hash = hash(body);
        HttpRequest request = HttpRequest.newBuilder(URI.create(gateway + PATH))
                .timeout(Duration.ofSeconds(15))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).handle((response, error) -> {
            inFlight.release();
            long completed = System.currentTimeMillis();
            Op op;
            if (error != null) {
                op = new Op(
                        id,
                        client,
                        kind,
                        key,
                        session,
                        hash,
                        invoked,
                        completed,
                        Op.INFO,
                        0,
                        String.valueOf(error.getMessage()));
            } else {
                int status = response.statusCode();
                String result = status / 100 == 2 ? Op.OK : (status == 503 || status >= 500) ? Op.INFO : Op.FAIL;
                String detail = status / 100 == 2
                        ? response.headers().firstValue("Idempotent-Replayed").orElse("")
                        : trim(response.body());
                op = new Op(id, client, kind, key, session, hash, invoked, completed, result, status, detail);
            }
            history.record(op);
            return op;
        });
    }

    private static String trim(String s) {
        return s == null ? "" : s.length() > 200 ? s.substring(0, 200) : s;
    }

    static String hash(String body) {
        try {
            JsonNode node = Json.mapper().readTree(body);
            return PayloadHash.of(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        running = false;
        scheduler.shutdownNow();
    }
}
