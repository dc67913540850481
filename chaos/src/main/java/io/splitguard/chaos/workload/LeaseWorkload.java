package io.splitguard.chaos.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.schemas.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Two regions (region-a through gateway 0, region-b through gateway 1) contending for leases on a few
 * sessions reserved for them ({@value #RESOURCE_PREFIX}0..n-1). A cycle: a region acquires the session's
 * lease (a few seconds' TTL; an indeterminate answer is retried with the same {@code correlation_id}, a
 * conflict after its {@code retry_after_ms}), then, while it believes it holds it, heartbeats and writes
 * 1 to 3 CRM updates for the session carrying its {@code X-Fencing-Token} (with an {@code Idempotency-Key}
 * and {@code Prefer: wait}, so a fenced write answers 409), and releases.
 *
 * <p>A share of cycles <em>pause</em>: after its writes the holder stops heartbeating past the stale
 * threshold, and the other region starts contending for the session, so the lease is overridden (after
 * the lock-delay the contender's grant names {@code overrode}). Once the contender holds it (or a bound
 * passed), the paused holder wakes as a zombie: it writes with its old token (expected: 409 fenced), then
 * heartbeats and releases with its old lock token (expected: 409). The contender releases only after the
 * zombie's attempts ended, so the zombie's write is decided while the newer lease exists.
 *
 * <p>Every request and its answer is recorded as a {@link LeaseOp}. Cycles block on their requests on a
 * small pool of threads; the load is a few requests per second.
 */
public final class LeaseWorkload implements AutoCloseable {

    public static final String RESOURCE_PREFIX = "lease-";
    static final String ACQUIRE_PATH = "/api/v1/state/locks/acquire";
    static final String HEARTBEAT_PATH = "/api/v1/state/locks/heartbeat";
    static final String RELEASE_PATH = "/api/v1/state/locks/release";
    static final String WRITE_PATH = "/api/v2/integrations/crm/contact/update";
    /** The TTL asked for: longer than the chaos run's stale threshold, so a silent holder can be overridden. */
    public static final long TTL_MS = 6_000;
    /** Share of cycles whose holder pauses past the stale threshold and then acts on as a zombie. */
    static final double PAUSE_SHARE = 0.3;
    /** Cycles under way at most (contenders started by a pause not counted). */
    static final int MAX_CYCLES = 16;
    /** How long a cycle tries to acquire before giving up. */
    static final Duration ACQUIRE_FOR = Duration.ofSeconds(15);
    /** How long a paused holder waits for the contender's grant before it acts on anyway. */
    static final Duration ZOMBIE_WAITS_AT_MOST = Duration.ofSeconds(15);
    /** How long a contender that overrode a paused holder waits for the zombie's attempts before releasing. */
    static final Duration CONTENDER_WAITS_AT_MOST = Duration.ofSeconds(20);
    /**
     * The same three bounds for a settle cycle ({@link #settle}): long, since it runs once the faults are
     * healed and must end with an answer, however far behind the topology still is.
     */
    static final Duration SETTLE_ACQUIRE_FOR = Duration.ofSeconds(90);

    static final Duration SETTLE_ZOMBIE_WAITS_AT_MOST = Duration.ofSeconds(90);
    static final Duration SETTLE_CONTENDER_WAITS_AT_MOST = Duration.ofSeconds(120);
    /** A holder waiting for something heartbeats this often (a third of its TTL). */
    static final long HEARTBEAT_EVERY_MS = TTL_MS / 3;

    private static final String[] REGIONS = {"region-a", "region-b"};

    private final List<String> gateways;
    private final String token;
    private final int resources;
    private final double cyclesPerSecond;
    private final Duration staleThreshold;
    private final Random random;
    private final History history;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lease-workload");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService cycles = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "lease-cycle");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicLong cycleIds = new AtomicLong();
    /** "resource region" pairs with a cycle under way: a region runs one cycle per resource at a time. */
    private final Set<String> busy = new HashSet<>();

    private volatile boolean running;

    /**
     * The random draws of one cycle, made on the scheduler thread; {@code settle} marks a cycle of the
     * settle phase (longer bounds, and it may start its contender after the load stopped).
     */
    private record Plan(long cycle, String resource, int region, boolean pause, int writes, boolean settle) {

        Duration acquireFor() {
            return settle ? SETTLE_ACQUIRE_FOR : ACQUIRE_FOR;
        }

        Duration zombieWaitsAtMost() {
            return settle ? SETTLE_ZOMBIE_WAITS_AT_MOST : ZOMBIE_WAITS_AT_MOST;
        }

        Duration contenderWaitsAtMost() {
            return settle ? SETTLE_CONTENDER_WAITS_AT_MOST : CONTENDER_WAITS_AT_MOST;
        }
    }

    /** A pause's rendezvous: the contender's grant, and the end of the zombie's attempts. */
    private record Rendezvous(CompletableFuture<Void> contenderHolds, CompletableFuture<Void> zombieDone) {}

    /** A lease as its holder knows it. */
    private record Held(String lockToken, long fencingToken) {}

    /**
     * @param staleThreshold the topology's lease stale threshold: a paused holder stays silent this long
     *     and a little more before the other region contends
     */
    public LeaseWorkload(
            List<String> gateways,
            String token,
            int resources,
            double cyclesPerSecond,
            Duration staleThreshold,
            long seed,
            History history) {
        if (gateways.size() < 2) {
            throw new IllegalArgumentException("two regions need two gateways");
        }
        this.gateways = List.copyOf(gateways);
        this.token = token;
        this.resources = resources;
        this.cyclesPerSecond = cyclesPerSecond;
        this.staleThreshold = staleThreshold;
        this.random = new Random(seed ^ 0x1ea5_e5L);
        this.history = history;
    }

    public void start() {
        running = true;
        scheduler.scheduleAtFixedRate(
                this::newCycle, 1_000_000, (long) (1_000_000 / cyclesPerSecond), TimeUnit.MICROSECONDS);
    }

    /** Stops starting cycles; those under way finish on their own (each is bounded). */
    public void stopGenerating() {
        running = false;
    }

    /** Cycles not yet finished. */
    public int pending() {
        return pending.get();
    }

    /** The sessions leases are taken on (each also the resource id). */
    public List<String> resources() {
        List<String> all = new ArrayList<>();
        for (int i = 0; i < resources; i++) {
            all.add(RESOURCE_PREFIX + i);
        }
        return all;
    }

    public static boolean isLeaseSession(String session) {
        return session != null && session.startsWith(RESOURCE_PREFIX);
    }

    private synchronized void newCycle() {
        if (!running || pending.get() >= MAX_CYCLES) {
            return;
        }
        String resource = RESOURCE_PREFIX + random.nextInt(resources);
        int region = random.nextInt(2);
        boolean pause = random.nextDouble() < PAUSE_SHARE;
        int writes = 1 + random.nextInt(3);
        if (!busy.add(resource + " " + region)) {
            return;
        }
        Plan plan = new Plan(cycleIds.incrementAndGet(), resource, region, pause, writes, false);
        submit(plan, () -> cycle(plan, null));
    }

    /**
     * The settle phase, run after the load stopped and the faults were healed: {@code count} pause cycles,
     * one after the other, on resources 0, 1, ... starting in alternate regions. Each is a grant, a write
     * with its token, a silence past the stale threshold, an override by the other region, the paused
     * holder's write with its old token (to be fenced), its refused heartbeat and release, the contender's
     * write and release. Under the fault schedule on a small machine, lease decisions can take longer than
     * the gateways wait for them, and the cycles under fault then end on indeterminate answers; the settle
     * cycles make sure every lease decision is taken and answered at least once, with the same bounded
     * rules, however the fault phase went. Returns when they ended or {@code budget} passed.
     *
     * @return whether every settle cycle ended within the budget
     */
    public boolean settle(int count, Duration budget) {
        long deadline = System.currentTimeMillis() + budget.toMillis();
        for (int i = 0; i < count; i++) {
            String resource = RESOURCE_PREFIX + (i % resources);
            int region = i % 2;
            synchronized (this) {
                if (!busy.add(resource + " " + region)) {
                    continue;
                }
            }
            Plan plan = new Plan(cycleIds.incrementAndGet(), resource, region, true, 1, true);
            submit(plan, () -> cycle(plan, null));
            while (pending.get() > 0) {
                if (System.currentTimeMillis() >= deadline) {
                    return false;
                }
                sleep(100);
            }
        }
        return true;
    }

    private void submit(Plan plan, Runnable body) {
        pending.incrementAndGet();
        cycles.execute(() -> {
            try {
                body.run();
            } catch (RuntimeException e) {
                // a cycle's failure is the harness's, never the product's: it ends the cycle, nothing else
                org.slf4j.LoggerFactory.getLogger(LeaseWorkload.class).warn("lease cycle {} failed", plan.cycle(), e);
            } finally {
                synchronized (this) {
                    busy.remove(plan.resource() + " " + plan.region());
                }
                pending.decrementAndGet();
            }
        });
    }

    /**
     * One cycle of {@code plan.region()} on {@code plan.resource()}; {@code rendezvous} is set when this
     * cycle is the contender a pause started.
     */
    private void cycle(Plan plan, Rendezvous rendezvous) {
        Held held = acquire(plan);
        if (held == null) {
            if (rendezvous != null) {
                rendezvous.contenderHolds().complete(null);
            }
            return;
        }
        if (rendezvous != null) {
            rendezvous.contenderHolds().complete(null);
        }
        boolean lost = false;
        for (int i = 0; i < plan.writes() && !lost; i++) {
            LeaseOp beat = command(plan, LeaseOp.HEARTBEAT, LeaseOp.HOLD, held, null, 3);
            if (beat.status() == 409) {
                lost = true;
                break;
            }
            LeaseOp write = write(plan, LeaseOp.HOLD, held, i);
            lost = write.fenced();
            sleep(300);
        }
        if (rendezvous != null && !lost) {
            // hold on (heartbeating) until the paused holder's zombie attempts are over, so they meet the
            // newer lease while it is live
            lost = holdUntil(plan, held, rendezvous.zombieDone(), plan.contenderWaitsAtMost());
        }
        if (plan.pause() && !lost && rendezvous == null) {
            pause(plan, held);
            return;
        }
        if (!lost) {
            command(plan, LeaseOp.RELEASE, LeaseOp.HOLD, held, null, 3);
        }
    }

    /**
     * The holder goes silent past the stale threshold; the other region contends and (normally) overrides
     * it; then the holder acts on with its old lease.
     */
    private void pause(Plan plan, Held held) {
        sleep(staleThreshold.toMillis() + 300);
        int other = 1 - plan.region();
        Rendezvous rendezvous = new Rendezvous(new CompletableFuture<>(), new CompletableFuture<>());
        boolean started;
        synchronized (this) {
            started = (running || plan.settle()) && busy.add(plan.resource() + " " + other);
        }
        if (started) {
            Plan contender = new Plan(
                    cycleIds.incrementAndGet(),
                    plan.resource(),
                    other,
                    false,
                    1 + (int) (plan.cycle() % 2),
                    plan.settle());
            submit(contender, () -> cycle(contender, rendezvous));
            await(rendezvous.contenderHolds(), plan.zombieWaitsAtMost());
        } else {
            sleep(plan.zombieWaitsAtMost().toMillis() / 3);
        }
        try {
            write(plan, LeaseOp.ZOMBIE, held, 9);
            command(plan, LeaseOp.HEARTBEAT, LeaseOp.ZOMBIE, held, null, 3);
            command(plan, LeaseOp.RELEASE, LeaseOp.ZOMBIE, held, null, 3);
        } finally {
            rendezvous.zombieDone().complete(null);
        }
    }

    /**
     * Heartbeats every {@link #HEARTBEAT_EVERY_MS} until {@code done} completes or {@code max} passed;
     * whether the lease was lost meanwhile (a heartbeat answered 409).
     */
    private boolean holdUntil(Plan plan, Held held, CompletableFuture<Void> done, Duration max) {
        long deadline = System.currentTimeMillis() + max.toMillis();
        while (!done.isDone()
                && System.currentTimeMillis() < deadline
                && !Thread.currentThread().isInterrupted()) {
            await(
                    done,
                    Duration.ofMillis(
                            Math.min(HEARTBEAT_EVERY_MS, Math.max(1, deadline - System.currentTimeMillis()))));
            if (done.isDone()) {
                return false;
            }
            if (command(plan, LeaseOp.HEARTBEAT, LeaseOp.HOLD, held, null, 1).status() == 409) {
                return true;
            }
        }
        return false;
    }

    /** Acquires until granted, refused for good, or the plan's acquire bound passed; the grant or null. */
    private Held acquire(Plan plan) {
        String correlation = "corr-" + plan.cycle() + "-" + REGIONS[plan.region()];
        long deadline = System.currentTimeMillis() + plan.acquireFor().toMillis();
        while (System.currentTimeMillis() < deadline && !Thread.currentThread().isInterrupted()) {
            LeaseOp op = command(plan, LeaseOp.ACQUIRE, LeaseOp.CONTEND, null, correlation, 1);
            if (op.granted()) {
                return new Held(op.lockToken(), op.fencingToken());
            }
            if (op.status() == 409) {
                long wait = op.retryAfterMs() >= 0 ? op.retryAfterMs() + 100 : 1_000;
                if (System.currentTimeMillis() + wait >= deadline) {
                    return null;
                }
                sleep(Math.min(wait, 8_000));
            } else if (op.info()) {
                sleep(500);
            } else {
                return null; // refused as invalid: nothing to retry
            }
        }
        return null;
    }

    /** A lease command, retried up to {@code attempts} times while the answer is indeterminate. */
    private LeaseOp command(Plan plan, String type, String phase, Held held, String correlation, int attempts) {
        ObjectNode body = Json.mapper().createObjectNode();
        body.put("resource_id", plan.resource());
        String path;
        if (LeaseOp.ACQUIRE.equals(type)) {
            body.put("region_origin", REGIONS[plan.region()]);
            body.put("lock_ttl_ms", TTL_MS);
            body.put("operation_type", "crm_sync");
            body.put("correlation_id", correlation);
            path = ACQUIRE_PATH;
        } else {
            body.put("lock_token", held.lockToken());
            path = LeaseOp.HEARTBEAT.equals(type) ? HEARTBEAT_PATH : RELEASE_PATH;
        }
        LeaseOp op = null;
        for (int i = 0; i < attempts; i++) {
            if (i > 0) {
                sleep(400);
            }
            op = send(plan, type, phase, path, body.toString(), held, correlation, null, -1, List.of());
            if (!op.info()) {
                break;
            }
        }
        return op;
    }

    /**
     * A CRM update for the session with the lease's token; an indeterminate answer or a 409 that is not
     * {@code fenced} (the key in flight) is retried with the same key and token, a few times.
     */
    private LeaseOp write(Plan plan, String phase, Held held, int n) {
        String key = "lw-" + plan.cycle() + "-" + n;
        String body = Workload.body(plan.resource(), plan.cycle() * 10 + n, phase + " write " + key);
        List<String> headers = List.of(
                "Idempotency-Key", key, "X-Fencing-Token", Long.toString(held.fencingToken()), "Prefer", "wait=3");
        LeaseOp op = null;
        for (int i = 0; i < 3; i++) {
            if (i > 0) {
                sleep(500);
            }
            op = send(plan, LeaseOp.WRITE, phase, WRITE_PATH, body, held, null, key, held.fencingToken(), headers);
            if (!(op.info() || (op.status() == 409 && !op.fenced()))) {
                break;
            }
        }
        return op;
    }

    private LeaseOp send(
            Plan plan,
            String type,
            String phase,
            String path,
            String body,
            Held held,
            String correlation,
            String key,
            long sentToken,
            List<String> extraHeaders) {
        long id = history.nextId();
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(gateways.get(plan.region()) + path))
                .timeout(Duration.ofSeconds(25))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i + 1 < extraHeaders.size(); i += 2) {
            builder.header(extraHeaders.get(i), extraHeaders.get(i + 1));
        }
        long invoked = System.currentTimeMillis();
        int status = 0;
        String answer = null;
        String detail = "";
        try {
            HttpResponse<String> response = http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            status = response.statusCode();
            answer = response.body();
        } catch (IOException e) {
            detail = String.valueOf(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            detail = "interrupted";
        }
        long completed = System.currentTimeMillis();
        JsonNode a = parse(answer);
        String result = status == 0 ? Op.INFO : Workload.resultOf(status);
        if (status != 0 && status / 100 != 2 && detail.isEmpty()) {
            detail = answer == null ? "" : answer.length() > 200 ? answer.substring(0, 200) : answer;
        }
        String outcome = text(a, "status");
        if (status == 409 && a.hasNonNull("verdict")) {
            outcome = text(a, "verdict");
        } else if (outcome == null && a.hasNonNull("type")) {
            outcome = text(a, "type");
        }
        boolean acquire = LeaseOp.ACQUIRE.equals(type);
        String lockToken = acquire ? text(a, "lock_token") : held == null ? null : held.lockToken();
        long fencing = LeaseOp.WRITE.equals(type)
                ? sentToken
                : a.path("fencing_token").isNumber() ? a.path("fencing_token").asLong() : -1;
        JsonNode overrode = a.path("overrode");
        LeaseOp op = new LeaseOp(
                id,
                type,
                REGIONS[plan.region()],
                plan.region(),
                plan.resource(),
                plan.cycle(),
                phase,
                correlation,
                lockToken,
                fencing,
                key,
                acquire ? TTL_MS : 0,
                invoked,
                completed,
                result,
                status,
                outcome,
                text(a, "holder_region"),
                instantMs(text(a, "expires_at")),
                a.path("retry_after_ms").isNumber() ? a.path("retry_after_ms").asLong() : -1,
                overrode.isObject() ? text(overrode, "holder_region") : null,
                overrode.isObject() && overrode.path("fencing_token").isNumber()
                        ? overrode.path("fencing_token").asLong()
                        : -1,
                detail);
        history.record(op);
        return op;
    }

    private static JsonNode parse(String body) {
        if (body == null || body.isEmpty()) {
            return Json.mapper().createObjectNode();
        }
        try {
            JsonNode node = Json.mapper().readTree(body);
            return node == null || !node.isObject() ? Json.mapper().createObjectNode() : node;
        } catch (IOException | RuntimeException e) {
            return Json.mapper().createObjectNode();
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isValueNode() && !value.isNull() ? value.asText() : null;
    }

    /** An ISO instant as epoch milliseconds, -1 when absent or unreadable. */
    static long instantMs(String iso) {
        if (iso == null || iso.isEmpty() || "null".equals(iso)) {
            return -1;
        }
        try {
            return Instant.parse(iso).toEpochMilli();
        } catch (DateTimeParseException e) {
            return -1;
        }
    }

    private static void await(CompletableFuture<Void> future, Duration max) {
        try {
            future.get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // bounded on purpose: go on without it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long ms) {
        try {
            TimeUnit.MILLISECONDS.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        scheduler.shutdownNow();
        cycles.shutdownNow();
    }
}
