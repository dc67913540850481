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
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Flows in two regions saving and restoring checkpoints. Each step takes one idle session: the region of
 * one gateway writes its next sequence (retrying an indeterminate answer with the same checkpoint); once
 * acknowledged, the flow usually reads it back through the <em>other</em> gateway with the position the
 * answer named (read-your-writes, as after a failover); sometimes the lagging region then sends a sequence
 * that is not newer, with its own variables, which must never be served over the newer one. Plain reads
 * without a position go to random sessions and gateways besides. Every request is recorded as a {@link
 * CheckpointOp} in the {@link History}. TTLs are long (an hour), so nothing expires within a run.
 */
public final class CheckpointWorkload implements AutoCloseable {

    static final String WRITE_PATH = "/api/v2/sessions/%s/state/checkpoint";
    static final String READ_PATH = "/api/v2/sessions/%s/state/latest";
    static final int TTL_SECONDS = 3600;
    /** Share of acknowledged writes read back through the other gateway with their position. */
    static final double RYW_SHARE = 0.8;
    /** Share of steps after which the lagging region sends a sequence that is not newer. */
    static final double STALE_SHARE = 0.2;

    private static final String[] REGIONS = {"region-a", "region-b"};

    private final List<String> gateways;
    private final String token;
    private final double stepsPerSecond;
    private final double readsPerSecond;
    private final Random random;
    private final History history;
    private final List<Flow> flows = new ArrayList<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1, r -> {
        Thread t = new Thread(r, "checkpoint-workload");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger pending = new AtomicInteger();
    private volatile boolean running;

    /** One session's flow: the next sequence to save, and whether a step of it is under way. */
    private static final class Flow {
        final String session;
        long lastSequence;
        boolean busy;
        /** the highest sequence acknowledged so far, -1 before the first */
        volatile long acknowledged = -1;

        Flow(String session) {
            this.session = session;
        }
    }

    /** The decisions of one step, drawn up front on the scheduler thread. */
    private record Step(Flow flow, int gateway, long sequence, boolean readBack, long staleSequence) {}

    public CheckpointWorkload(
            List<String> gateways,
            String token,
            int sessions,
            double stepsPerSecond,
            double readsPerSecond,
            long seed,
            History history) {
        if (gateways.size() < 2) {
            throw new IllegalArgumentException("two regions need two gateways");
        }
        this.gateways = List.copyOf(gateways);
        this.token = token;
        this.stepsPerSecond = stepsPerSecond;
        this.readsPerSecond = readsPerSecond;
        this.random = new Random(seed ^ 0x5eed_c4ec_0a11L);
        this.history = history;
        for (int i = 0; i < sessions; i++) {
            flows.add(new Flow("flow-" + i));
        }
    }

    public void start() {
        running = true;
        scheduler.scheduleAtFixedRate(this::step, 0, (long) (1_000_000 / stepsPerSecond), TimeUnit.MICROSECONDS);
        scheduler.scheduleAtFixedRate(
                this::plainRead, 500_000, (long) (1_000_000 / readsPerSecond), TimeUnit.MICROSECONDS);
    }

    /** Stops starting steps and reads; those under way finish on their own. */
    public void stopGenerating() {
        running = false;
    }

    /** Steps and reads not yet finished. */
    public int pending() {
        return pending.get();
    }

    /** The sessions checkpoints were written for. */
    public List<String> sessions() {
        return flows.stream().map(f -> f.session).toList();
    }

    private synchronized void step() {
        if (!running) {
            return;
        }
        Flow flow = flows.get(random.nextInt(flows.size()));
        if (flow.busy) {
            return;
        }
        flow.busy = true;
        // sequences jump a little, as checkpoint ids built from a clock would
        long sequence = flow.lastSequence + 1 + random.nextInt(3);
        flow.lastSequence = sequence;
        boolean readBack = random.nextDouble() < RYW_SHARE;
        long stale = random.nextDouble() < STALE_SHARE ? Math.max(1, sequence - random.nextInt(3)) : -1;
        Step step = new Step(flow, random.nextInt(2), sequence, readBack, stale);
        pending.incrementAndGet();
        run(step).whenComplete((r, e) -> {
            synchronized (this) {
                flow.busy = false;
            }
            pending.decrementAndGet();
        });
    }

    private CompletableFuture<Void> run(Step step) {
        int other = 1 - step.gateway();
        String session = step.flow().session;
        ObjectNode variables = variables(session, step.sequence(), REGIONS[step.gateway()]);
        return writeUntilAnswered(CheckpointOp.WRITE, step.gateway(), session, step.sequence(), variables, 3)
                .thenCompose(write -> {
                    if (write.ok()) {
                        step.flow().acknowledged = Math.max(step.flow().acknowledged, write.sequence());
                        if (step.readBack()) {
                            return readUntilAnswered(other, session, write, 3);
                        }
                    }
                    return CompletableFuture.completedFuture(null);
                })
                .thenCompose(x -> {
                    if (step.staleSequence() < 0) {
                        return CompletableFuture.completedFuture(null);
                    }
                    // the lagging region: its own (older) view of the flow, at a sequence that is not newer
                    ObjectNode lagging = variables(session, step.staleSequence(), REGIONS[other]);
                    lagging.put("lagging", true);
                    return write(CheckpointOp.STALE_WRITE, other, session, step.staleSequence(), lagging)
                            .thenApply(op -> null);
                });
    }

    static ObjectNode variables(String session, long sequence, String region) {
        ObjectNode v = Json.mapper().createObjectNode();
        v.put("flow_step", "step_" + sequence);
        v.put("queue", "queue_" + (sequence % 5));
        v.put("customer_tier", sequence % 2 == 0 ? "gold" : "silver");
        v.put("retries", (int) (sequence % 4));
        v.put("saved_by", region);
        v.put("session_ref", session);
        return v;
    }

    private CompletableFuture<CheckpointOp> writeUntilAnswered(
            String type, int gateway, String session, long sequence, ObjectNode variables, int attempts) {
        return write(type, gateway, session, sequence, variables).thenCompose(op -> {
            if (!op.info() || attempts <= 1) {
                return CompletableFuture.completedFuture(op);
            }
            return later(500)
                    .thenCompose(x -> writeUntilAnswered(type, gateway, session, sequence, variables, attempts - 1));
        });
    }

    private CompletableFuture<CheckpointOp> readUntilAnswered(
            int gateway, String session, CheckpointOp write, int attempts) {
        return read(CheckpointOp.RYW_READ, gateway, session, write).thenCompose(op -> {
            if (!op.info() || attempts <= 1) {
                return CompletableFuture.completedFuture(op);
            }
            return later(300).thenCompose(x -> readUntilAnswered(gateway, session, write, attempts - 1));
        });
    }

    private static CompletableFuture<Void> later(long ms) {
        return CompletableFuture.runAsync(() -> {}, CompletableFuture.delayedExecutor(ms, TimeUnit.MILLISECONDS));
    }

    private synchronized void plainRead() {
        if (!running) {
            return;
        }
        Flow flow = flows.get(random.nextInt(flows.size()));
        int gateway = random.nextInt(2);
        pending.incrementAndGet();
        read(CheckpointOp.READ, gateway, flow.session, null).whenComplete((r, e) -> pending.decrementAndGet());
    }

    private CompletableFuture<CheckpointOp> write(
            String type, int gateway, String session, long sequence, ObjectNode variables) {
        ObjectNode body = Json.mapper().createObjectNode();
        body.put("session_id", session);
        body.put("region", REGIONS[gateway]);
        body.put("checkpoint_id", "chk_" + sequence);
        body.set("variables", variables);
        body.put("ttl_seconds", TTL_SECONDS);
        body.put("sequence", sequence);
        String text;
        try {
            text = Json.mapper().writeValueAsString(body);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        String canonical = CheckpointOp.canonical(variables);
        long id = history.nextId();
        long invoked = System.currentTimeMillis();
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create(gateways.get(gateway) + String.format(WRITE_PATH, session)))
                .timeout(Duration.ofSeconds(15))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(text))
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).handle((response, error) -> {
            long completed = System.currentTimeMillis();
            int status = error == null ? response.statusCode() : 0;
            String result = error == null ? Workload.resultOf(status) : Op.INFO;
            String position = null;
            String detail = "";
            if (error != null) {
                detail = String.valueOf(error.getMessage());
            } else if (status / 100 == 2) {
                position = field(response.body(), "position");
            } else {
                detail = trim(response.body());
            }
            CheckpointOp op = new CheckpointOp(
                    id,
                    type,
                    REGIONS[gateway],
                    gateway,
                    session,
                    sequence,
                    "chk_" + sequence,
                    canonical,
                    TTL_SECONDS,
                    invoked,
                    completed,
                    result,
                    status,
                    position,
                    0,
                    -1,
                    null,
                    null,
                    detail);
            history.record(op);
            return op;
        });
    }

    /** A read of the latest checkpoint; with {@code after} (an acknowledged write) carrying its position. */
    private CompletableFuture<CheckpointOp> read(String type, int gateway, String session, CheckpointOp after) {
        long id = history.nextId();
        long acknowledgedBefore = flows.stream()
                .filter(f -> f.session.equals(session))
                .mapToLong(f -> f.acknowledged)
                .findFirst()
                .orElse(-1);
        String position = after == null ? null : after.position();
        String uri = gateways.get(gateway)
                + String.format(READ_PATH, session)
                + (position == null ? "" : "?position=" + position);
        long invoked = System.currentTimeMillis();
        HttpRequest request = HttpRequest.newBuilder(URI.create(uri))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token)
                .GET()
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).handle((response, error) -> {
            long completed = System.currentTimeMillis();
            int status = error == null ? response.statusCode() : 0;
            String result = error == null ? Workload.resultOf(status) : Op.INFO;
            Boolean restore = null;
            String reason = null;
            long sequence = -1;
            String checkpointId = null;
            String variables = null;
            String detail = "";
            if (error != null) {
                detail = String.valueOf(error.getMessage());
            } else if (status == 200) {
                try {
                    JsonNode answer = Json.mapper().readTree(response.body());
                    restore = answer.path("restore").asBoolean(false);
                    if (restore) {
                        sequence = answer.path("sequence").asLong(-1);
                        checkpointId = answer.path("checkpoint_id").asText(null);
                        variables = CheckpointOp.canonical(answer.path("variables"));
                    } else {
                        reason = answer.path("reason").asText("");
                    }
                } catch (IOException | RuntimeException e) {
                    result = Op.INFO;
                    detail = "unreadable 200: " + trim(response.body());
                }
            } else {
                detail = trim(response.body());
            }
            CheckpointOp op = new CheckpointOp(
                    id,
                    type,
                    REGIONS[gateway],
                    gateway,
                    session,
                    sequence,
                    checkpointId,
                    variables,
                    0,
                    invoked,
                    completed,
                    result,
                    status,
                    position,
                    after == null ? 0 : after.id(),
                    acknowledgedBefore,
                    restore,
                    reason,
                    detail);
            history.record(op);
            return op;
        });
    }

    private static String field(String json, String name) {
        try {
            JsonNode node = Json.mapper().readTree(json).path(name);
            return node.isTextual() ? node.asText() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String trim(String s) {
        return s == null ? "" : s.length() > 200 ? s.substring(0, 200) : s;
    }

    @Override
    public void close() {
        running = false;
        scheduler.shutdownNow();
    }
}
