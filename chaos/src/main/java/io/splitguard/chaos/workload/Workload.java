package io.splitguard.chaos.workload;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.PayloadHash;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Platforms in several regions sending the same webhooks: most updates are delivered by two regions
 * at once (to different gateway instances), retried on 409/503/errors like a platform's retry
 * queue, some are replayed late, and a few re-use a key with another body. Some updates come from a
 * single client that gives up after its first indeterminate answer (so keys with only indeterminate
 * answers exist for real), and a few are hostile: bodies the database cannot store, which the gateway
 * must refuse. Every attempt is recorded in the {@link History}, with the hash of the body sent
 * (computed the way the gateway computes it) and the {@code payload_hash} a 2xx answer named.
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
    /** Share of new updates that are hostile bodies. */
    static final double HOSTILE_SHARE = 0.01;
    /** Share of new updates sent by a single client that gives up after an indeterminate answer. */
    static final double ONCE_SHARE = 0.04;

    private final Semaphore inFlight = new Semaphore(96);
    private final AtomicLong events = new AtomicLong();
    private final AtomicInteger pending = new AtomicInteger();
    /** Answers by gateway and status (0: no answer: connection error or timeout). */
    private final Map<String, Map<Integer, LongAdder>> answers = new ConcurrentHashMap<>();

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

    /** How many answers {@code gateway} gave so far, by HTTP status (0: none, the request failed). */
    public Map<Integer, Long> answers(String gateway) {
        Map<Integer, Long> snapshot = new TreeMap<>();
        answers.getOrDefault(gateway, Map.of()).forEach((status, n) -> snapshot.put(status, n.sum()));
        return snapshot;
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
        double share = random.nextDouble();
        if (share < HOSTILE_SHARE) {
            deliver(
                    "region-a",
                    Op.HOSTILE,
                    "hostile-" + n,
                    session,
                    hostileBody(session, n, random.nextInt(HOSTILE_VARIANTS)),
                    gateways.get(first),
                    Instant.now().plus(retryFor),
                    true);
            return;
        }
        if (share < HOSTILE_SHARE + ONCE_SHARE) {
            deliver(
                    "region-d",
                    Op.ONCE,
                    key,
                    session,
                    body,
                    gateways.get(first),
                    Instant.now().plus(retryFor),
                    false);
            return;
        }
        deliver(
                "region-a",
                Op.WRITE,
                key,
                session,
                body,
                gateways.get(first),
                Instant.now().plus(retryFor),
                true);
        deliver(
                "region-b",
                Op.WRITE,
                key,
                session,
                body,
                gateways.get((first + 1) % gateways.size()),
                Instant.now().plus(retryFor),
                true);
        double dice = random.nextDouble();
        if (dice < 0.10) {
            long delay = 3_000 + random.nextInt(15_000);
            later(
                    delay,
                    () -> deliver(
                            "region-c",
                            Op.REPLAY,
                            key,
                            session,
                            body,
                            gateways.get(random.nextInt(gateways.size())),
                            Instant.now().plus(retryFor),
                            true));
        } else if (dice < 0.12) {
            String other = body(session, n, "changed " + n);
            long delay = 1_000 + random.nextInt(4_000);
            later(delay, () -> {
                pending.incrementAndGet();
                attempt("region-c", Op.CONFLICT, key, session, other, gateways.get(random.nextInt(gateways.size())))
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

    /**
     * @param retryIndeterminate whether the client retries after an indeterminate answer; a client that
     *     does not gives the key up there (409, "in flight", is still retried: it is not an answer)
     */
    private void deliver(
            String client,
            String kind,
            String key,
            String session,
            String body,
            String gateway,
            Instant giveUpAt,
            boolean retryIndeterminate) {
        pending.incrementAndGet();
        retryLoop(client, kind, key, session, body, gateway, giveUpAt, 200, retryIndeterminate)
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
            long backoffMs,
            boolean retryIndeterminate) {
        return attempt(client, kind, key, session, body, gateway).thenCompose(op -> {
            if (!retries(op, retryIndeterminate) || Instant.now().isAfter(giveUpAt)) {
                return CompletableFuture.completedFuture(null);
            }
            long next = Math.min(backoffMs * 2, 2_000);
            return CompletableFuture.runAsync(
                            () -> {}, CompletableFuture.delayedExecutor(backoffMs, TimeUnit.MILLISECONDS))
                    .thenCompose(x ->
                            retryLoop(client, kind, key, session, body, gateway, giveUpAt, next, retryIndeterminate));
        });
    }

    /** Whether a client tries again after this answer. */
    static boolean retries(Op op, boolean retryIndeterminate) {
        return op.status() == 409 || (retryIndeterminate && op.info());
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
                        String.valueOf(error.getMessage()),
                        null);
            } else {
                int status = response.statusCode();
                String result = resultOf(status);
                boolean ok = Op.OK.equals(result);
                String detail = ok
                        ? response.headers().firstValue("Idempotent-Replayed").orElse("")
                        : trim(response.body());
                op = new Op(
                        id,
                        client,
                        kind,
                        key,
                        session,
                        hash,
                        invoked,
                        completed,
                        result,
                        status,
                        detail,
                        ok ? answeredHash(response.body()) : null);
            }
            answers.computeIfAbsent(gateway, g -> new ConcurrentHashMap<>())
                    .computeIfAbsent(op.status(), st -> new LongAdder())
                    .increment();
            history.record(op);
            return op;
        });
    }

    /** 2xx: acknowledged; 5xx (and anything unexpected below 200 or in 3xx): indeterminate; 4xx: refused. */
    static String resultOf(int status) {
        if (status / 100 == 2) {
            return Op.OK;
        }
        return status / 100 == 4 ? Op.FAIL : Op.INFO;
    }

    /** The {@code payload_hash} a 2xx answer names, or null when it names none. */
    static String answeredHash(String responseBody) {
        if (responseBody == null || responseBody.isEmpty()) {
            return null;
        }
        try {
            JsonNode hash = Json.mapper().readTree(responseBody).path("payload_hash");
            return hash.isTextual() ? hash.asText() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static final int HOSTILE_VARIANTS = 3;

    /**
     * A body that is well-formed JSON of the contract's shape but that the pipeline cannot store as
     * sent: U+0000 in a string (PostgreSQL text and jsonb refuse it), a lone surrogate (not valid
     * Unicode), a number beyond PostgreSQL numeric range (no column could hold it). The gateway
     * must refuse each with 4xx.
     */
    static String hostileBody(String session, long n, int variant) {
        return switch (variant) {
            case 0 -> body(session, n, "nul \\u0000 inside");
            case 1 -> body(session, n, "lone surrogate \\ud800 here");
            default -> "{\"session_id\":\"" + session + "\",\"contact_id\":\"cust_" + n
                    + "\",\"operation\":\"UPDATE_NOTES\",\"payload\":{\"notes\":\"huge\",\"score\":1e200000,"
                    + "\"timestamp\":\"2024-05-15T14:32:00Z\"}}";
        };
    }

    private static String trim(String s) {
        return s == null ? "" : s.length() > 200 ? s.substring(0, 200) : s;
    }

    /**
     * The hash of a body as the gateway computes it ({@link PayloadHash#of} of the parsed document). A
     * body that cannot be hashed that way (only hostile bodies) gets the hash of its text, marked.
     */
    static String hash(String body) {
        try {
            JsonNode node = Json.mapper().readTree(body);
            return PayloadHash.of(node);
        } catch (IOException | RuntimeException e) {
            return "text:" + PayloadHash.ofText(body);
        }
    }

    @Override
    public void close() {
        running = false;
        scheduler.shutdownNow();
    }
}
