package io.splitguard.chaos.workload;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.gateway.webhook.StandardWebhooks;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.PayloadHash;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Platforms in several regions sending the same webhooks: most updates are delivered by two regions
 * at once (to different gateway instances), retried on 409/503/errors like a platform's retry
 * queue, some are replayed late, and a few re-use a key with another body. Some updates come from a
 * single client that gives up after its first indeterminate answer (so keys with only indeterminate
 * answers exist for real), and a few are hostile: bodies the database cannot store, which the gateway
 * must refuse. Every attempt is recorded in the {@link History}, with the hash of the body sent
 * (computed the way the gateway computes it) and the {@code payload_hash} a 2xx answer named.
 *
 * <p>A share of the events are Genesys Cloud notifications about the same sessions, posted to {@code
 * POST /api/v2/webhooks/genesys} with a Standard Webhooks signature and no bearer token, as the platform
 * posts them: one region delivers the notification, and the platform's retry of it (same {@code
 * webhook-id} and CorrelationId, fresh {@code webhook-timestamp} and signature) comes through the other
 * region's gateway a moment later, racing the first or replaying it. A few notifications carry a
 * signature that does not hold (another secret, a body changed after signing, a stale timestamp); the
 * gateway must answer those 401 and store nothing.
 */
public final class Workload implements AutoCloseable {

    private static final String PATH = "/api/v2/integrations/crm/contact/update";
    static final String WEBHOOK_PATH = "/api/v2/webhooks/genesys";

    private final List<String> gateways;
    private final String token;
    private final int sessions;
    private final double eventsPerSecond;
    private final Random random;
    private final History history;
    private final Duration retryFor;
    private final String signingSecret;
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
    /** Share of new events that are Genesys notifications whose signature does not hold. */
    static final double FORGED_SHARE = 0.01;
    /**
     * Share of new events that are genuine Genesys notifications (each delivered by two regions, like a
     * CRM update): about an eighth of the writes, taken from the CRM updates so the load stays the same.
     */
    static final double WEBHOOK_SHARE = 0.12;

    static final int FORGED_VARIANTS = 3;
    /** How far back a stale delivery's timestamp lies: beyond the gateway's default 5 minutes' tolerance. */
    static final Duration STALE = Duration.ofMinutes(10);

    private static final List<String> GENESYS_TOPICS =
            List.of("customer.start", "acd.start", "agent.start", "agent.end", "customer.end");

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
        this(gateways, token, sessions, eventsPerSecond, seed, history, retryFor, signingSecret(seed));
    }

    /**
     * @param signingSecret the Standard Webhooks secret ({@code whsec_<base64>}) the gateways verify Genesys
     *     notifications with
     */
    public Workload(
            List<String> gateways,
            String token,
            int sessions,
            double eventsPerSecond,
            long seed,
            History history,
            Duration retryFor,
            String signingSecret) {
        this.gateways = List.copyOf(gateways);
        this.token = token;
        this.sessions = sessions;
        this.eventsPerSecond = eventsPerSecond;
        this.random = new Random(seed);
        this.history = history;
        this.retryFor = retryFor;
        this.signingSecret = signingSecret;
    }

    /** The run's Genesys signing secret, {@code whsec_} and 32 bytes drawn from {@code seed}, in base64. */
    public static String signingSecret(long seed) {
        byte[] key = new byte[32];
        new Random(seed ^ 0x5157_4845_4348_4b53L).nextBytes(key);
        return "whsec_" + Base64.getEncoder().encodeToString(key);
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
                    crm(
                            "region-a",
                            Op.HOSTILE,
                            "hostile-" + n,
                            session,
                            hostileBody(session, n, random.nextInt(HOSTILE_VARIANTS))),
                    gateways.get(first),
                    Instant.now().plus(retryFor),
                    true);
            return;
        }
        if (share < HOSTILE_SHARE + ONCE_SHARE) {
            deliver(
                    crm("region-d", Op.ONCE, key, session, body),
                    gateways.get(first),
                    Instant.now().plus(retryFor),
                    false);
            return;
        }
        if (share < HOSTILE_SHARE + ONCE_SHARE + FORGED_SHARE) {
            newForgedNotification(n, session, gateways.get(first));
            return;
        }
        if (share < HOSTILE_SHARE + ONCE_SHARE + FORGED_SHARE + WEBHOOK_SHARE) {
            newNotification(n, session, first);
            return;
        }
        deliver(
                crm("region-a", Op.WRITE, key, session, body),
                gateways.get(first),
                Instant.now().plus(retryFor),
                true);
        deliver(
                crm("region-b", Op.WRITE, key, session, body),
                gateways.get((first + 1) % gateways.size()),
                Instant.now().plus(retryFor),
                true);
        double dice = random.nextDouble();
        if (dice < 0.10) {
            long delay = 3_000 + random.nextInt(15_000);
            later(
                    delay,
                    () -> deliver(
                            crm("region-c", Op.REPLAY, key, session, body),
                            gateways.get(random.nextInt(gateways.size())),
                            Instant.now().plus(retryFor),
                            true));
        } else if (dice < 0.12) {
            String other = body(session, n, "changed " + n);
            long delay = 1_000 + random.nextInt(4_000);
            later(delay, () -> {
                pending.incrementAndGet();
                attempt(
                                crm("region-c", Op.CONFLICT, key, session, other),
                                gateways.get(random.nextInt(gateways.size())))
                        .whenComplete((r, e) -> pending.decrementAndGet());
            });
        }
    }

    /**
     * A genuine Genesys notification about {@code session}: region a delivers it through one gateway, and
     * the platform's retry (same {@code webhook-id} and CorrelationId, fresh timestamp and signature) comes
     * through the other gateway 0 to 3 s later, so it races the first delivery or replays its answer. Each
     * delivery is retried like the CRM updates (409, indeterminate answers), each attempt signed anew.
     */
    private void newNotification(long n, String session, int first) {
        String correlation = uuid();
        String webhookId = "msg_" + uuid();
        String topic = genesysTopic(session, GENESYS_TOPICS.get(random.nextInt(GENESYS_TOPICS.size())));
        String notification = genesysNotification(session, correlation, topic, System.currentTimeMillis(), n);
        deliver(
                webhook("region-a", Op.WEBHOOK, correlation, webhookId, session, topic, notification, Forgery.NONE),
                gateways.get(first),
                Instant.now().plus(retryFor),
                true);
        long delay = random.nextInt(3_000);
        String other = gateways.get((first + 1) % gateways.size());
        later(
                delay,
                () -> deliver(
                        webhook(
                                "region-b",
                                Op.WEBHOOK_RETRY,
                                correlation,
                                webhookId,
                                session,
                                topic,
                                notification,
                                Forgery.NONE),
                        other,
                        Instant.now().plus(retryFor),
                        true));
    }

    /**
     * A notification whose signature does not hold, under a CorrelationId nobody delivers genuinely; sent
     * once (nothing to retry: the only right answer is 401).
     */
    private void newForgedNotification(long n, String session, String gateway) {
        String correlation = uuid();
        String topic = genesysTopic(session, GENESYS_TOPICS.get(random.nextInt(GENESYS_TOPICS.size())));
        String notification = genesysNotification(session, correlation, topic, System.currentTimeMillis(), n);
        Forgery forgery = Forgery.values()[1 + random.nextInt(FORGED_VARIANTS)];
        deliver(
                webhook(
                        "region-e",
                        Op.WEBHOOK_FORGED,
                        correlation,
                        "msg_" + uuid(),
                        session,
                        topic,
                        notification,
                        forgery),
                gateway,
                Instant.now().plus(retryFor),
                false);
    }

    private String uuid() {
        return new UUID(random.nextLong(), random.nextLong()).toString();
    }

    /** How a delivery's signature is made not to hold. */
    enum Forgery {
        NONE,
        /** signed with a secret the gateway does not have */
        OTHER_SECRET,
        /** signed, then the body changed (the note of one field) */
        BODY_CHANGED,
        /** correctly signed, but with a timestamp far outside the gateway's tolerance (an old capture) */
        STALE
    }

    static String genesysTopic(String conversation, String suffix) {
        return "v2.detail.events.conversation." + conversation + "." + suffix;
    }

    /**
     * A Genesys Cloud notification as the platform sends it: {@code topicName}, {@code version}, the event
     * body with the conversation id (the session) and a millisecond event time, and {@code
     * metadata.CorrelationId} (the idempotency key).
     */
    static String genesysNotification(String conversation, String correlation, String topic, long eventTimeMs, long n) {
        return "{\"topicName\":\"" + topic + "\",\"version\":\"2\",\"eventBody\":{\"eventTime\":" + eventTimeMs
                + ",\"conversationId\":\"" + conversation + "\",\"participantId\":\"participant-" + n
                + "\",\"mediaType\":\"VOICE\",\"ani\":\"tel:+1555"
                + String.format(java.util.Locale.ROOT, "%07d", n % 10_000_000)
                + "\",\"queue\":{\"name\":\"Support \u00e9quipe\"}},\"metadata\":{\"CorrelationId\":\"" + correlation
                + "\"}}";
    }

    /**
     * The headers of one delivery attempt of {@code notification}: {@code webhook-id}, a {@code
     * webhook-timestamp} of now (or a stale one) and a {@code webhook-signature} made with {@code secret}
     * (or another one), as name/value pairs; with {@link Forgery#BODY_CHANGED} the signature is of a
     * different body than the one sent.
     */
    static List<String> webhookHeaders(
            String secret, String webhookId, String notification, Forgery forgery, Instant now) {
        long timestamp = (forgery == Forgery.STALE ? now.minus(STALE) : now).getEpochSecond();
        String key = forgery == Forgery.OTHER_SECRET ? signingSecret(~webhookId.hashCode()) : secret;
        String signed = forgery == Forgery.BODY_CHANGED ? notification.replace("VOICE", "CHAT") : notification;
        List<String> headers = new ArrayList<>();
        headers.add("Content-Type");
        headers.add("application/json");
        headers.add(StandardWebhooks.ID);
        headers.add(webhookId);
        headers.add(StandardWebhooks.TIMESTAMP);
        headers.add(Long.toString(timestamp));
        headers.add(StandardWebhooks.SIGNATURE);
        headers.add(StandardWebhooks.signature(
                key, webhookId, timestamp, signed.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        return headers;
    }

    /** One request as a client sends it, again and again while it retries; {@code headers} is asked per attempt. */
    private record Send(
            String client,
            String kind,
            String key,
            String session,
            String body,
            String route,
            String operation,
            String path,
            Supplier<List<String>> headers) {}

    private Send crm(String client, String kind, String key, String session, String body) {
        List<String> headers =
                List.of("Authorization", "Bearer " + token, "Content-Type", "application/json", "Idempotency-Key", key);
        return new Send(client, kind, key, session, body, Op.CRM_ROUTE, null, PATH, () -> headers);
    }

    private Send webhook(
            String client,
            String kind,
            String correlation,
            String webhookId,
            String session,
            String topic,
            String notification,
            Forgery forgery) {
        return new Send(
                client,
                kind,
                correlation,
                session,
                notification,
                Op.GENESYS_ROUTE,
                topic,
                WEBHOOK_PATH,
                () -> webhookHeaders(signingSecret, webhookId, notification, forgery, Instant.now()));
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
    private void deliver(Send send, String gateway, Instant giveUpAt, boolean retryIndeterminate) {
        pending.incrementAndGet();
        retryLoop(send, gateway, giveUpAt, 200, retryIndeterminate).whenComplete((r, e) -> pending.decrementAndGet());
    }

    private CompletableFuture<Void> retryLoop(
            Send send, String gateway, Instant giveUpAt, long backoffMs, boolean retryIndeterminate) {
        return attempt(send, gateway).thenCompose(op -> {
            if (!retries(op, retryIndeterminate) || Instant.now().isAfter(giveUpAt)) {
                return CompletableFuture.completedFuture(null);
            }
            long next = Math.min(backoffMs * 2, 2_000);
            return CompletableFuture.runAsync(
                            () -> {}, CompletableFuture.delayedExecutor(backoffMs, TimeUnit.MILLISECONDS))
                    .thenCompose(x -> retryLoop(send, gateway, giveUpAt, next, retryIndeterminate));
        });
    }

    /** Whether a client tries again after this answer. */
    static boolean retries(Op op, boolean retryIndeterminate) {
        return op.status() == 409 || (retryIndeterminate && op.info());
    }

    private CompletableFuture<Op> attempt(Send send, String gateway) {
        try {
            inFlight.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(e);
        }
        long id = history.nextId();
        long invoked = System.currentTimeMillis();
        String hash = hash(send.body());
        HttpRequest request = HttpRequest.newBuilder(URI.create(gateway + send.path()))
                .timeout(Duration.ofSeconds(15))
                .headers(send.headers().get().toArray(String[]::new))
                .POST(HttpRequest.BodyPublishers.ofString(send.body()))
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).handle((response, error) -> {
            inFlight.release();
            long completed = System.currentTimeMillis();
            Op op;
            if (error != null) {
                op = new Op(
                        id,
                        send.client(),
                        send.kind(),
                        send.key(),
                        send.session(),
                        hash,
                        invoked,
                        completed,
                        Op.INFO,
                        0,
                        String.valueOf(error.getMessage()),
                        null,
                        send.route(),
                        send.operation());
            } else {
                int status = response.statusCode();
                String result = resultOf(status);
                boolean ok = Op.OK.equals(result);
                String detail = ok
                        ? response.headers().firstValue("Idempotent-Replayed").orElse("")
                        : trim(response.body());
                op = new Op(
                        id,
                        send.client(),
                        send.kind(),
                        send.key(),
                        send.session(),
                        hash,
                        invoked,
                        completed,
                        result,
                        status,
                        detail,
                        ok ? answeredHash(response.body()) : null,
                        send.route(),
                        send.operation());
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
