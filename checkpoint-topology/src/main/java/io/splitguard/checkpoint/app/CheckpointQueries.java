package io.splitguard.checkpoint.app;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.splitguard.checkpoint.CheckpointTopology;
import io.splitguard.checkpoint.processor.CheckpointNodes;
import io.splitguard.checkpoint.processor.ServingPartitions;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.model.StoredCheckpoint;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.LagInfo;
import org.apache.kafka.streams.query.FailureReason;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.StateQueryRequest;
import org.apache.kafka.streams.query.StateQueryResult;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /internal/checkpoints/{session_id}[?min_offset=P:O]}: the session's latest checkpoint from
 * the {@value CheckpointNodes#LATEST_STORE} store, through Kafka Streams interactive queries (IQv2).
 *
 * <ul>
 *   <li>The instance that owns the session's partition ({@code queryMetadataForKey}) reads its store,
 *       but only while its task for that partition is running with the store restored, the same task
 *       incarnation before and after the read ({@link ServingPartitions}); a task revived after an error
 *       restores a wiped store while Kafka Streams already calls it active, and what it holds then may
 *       be nothing or an older checkpoint. Any other instance forwards the request once to the owner's {@code application.server} and
 *       passes its answer on. When the owner cannot be reached (a rebalance, a dead instance), an
 *       instance holding a standby copy whose lag is within the configured bound serves from it
 *       ({@code X-Checkpoint-Served-From: standby}) rather than fail, but only a checkpoint it holds:
 *       without a position bound a standby never answers 404 (its copy may be a wiped one being
 *       restored), it answers 503.
 *   <li>{@code min_offset=P:O} (the write's position on checkpoints-in) asks for read-your-writes: the
 *       store is queried with a position bound of that offset and the read waits, up to the configured
 *       bound, until the store has processed it; past it the answer is 503, never an older checkpoint.
 *   <li>Answers: 200 with the {@link StoredCheckpoint}; 404 {@code {"reason":"none"}} or {@code
 *       {"reason":"expired"}} (expired on this instance's clock, whether or not purged yet); 400 for a
 *       malformed {@code min_offset}; 503 problem when the store cannot answer.
 * </ul>
 *
 * Requests run on a small pool of their own, never on the management thread.
 */
public final class CheckpointQueries implements HttpHandler, AutoCloseable {

    public static final String PREFIX = "/internal/checkpoints/";
    public static final String SERVED_FROM = "X-Checkpoint-Served-From";
    static final String FORWARDED = "forwarded";

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointQueries.class);
    private static final Pattern OFFSET = Pattern.compile("([0-9]{1,9}):([0-9]{1,18})");

    private final KafkaStreams streams;
    private final ServingPartitions serving;
    private final String inputTopic;
    private final HostInfo self;
    private final Duration maxWait;
    private final long standbyMaxLag;
    private final Clock clock;
    private final JsonSerde<StoredCheckpoint> serde = CheckpointTopology.storeSerde();
    private final HttpClient client;
    private final ThreadPoolExecutor pool;

    /**
     * @param serving the partitions whose active task runs here, restored ({@link CheckpointStreams#serving()})
     * @param inputTopic checkpoints-in, whose offsets the store's position tracks
     * @param applicationServer this instance's {@code host:port} (Streams' {@code application.server},
     *     the management port serving this route); blank: a single instance that never forwards
     * @param maxWait how long a read-your-writes read may wait for the store to reach the offset
     * @param standbyMaxLag the largest offset lag of a standby copy that may answer when the owner cannot
     */
    public CheckpointQueries(
            KafkaStreams streams,
            ServingPartitions serving,
            String inputTopic,
            String applicationServer,
            Duration maxWait,
            long standbyMaxLag,
            Clock clock) {
        this.streams = streams;
        this.serving = serving;
        this.inputTopic = inputTopic;
        this.self = applicationServer == null || applicationServer.isBlank()
                ? null
                : HostInfo.buildFromEndpoint(applicationServer);
        this.maxWait = maxWait;
        this.standbyMaxLag = standbyMaxLag;
        this.clock = clock;
        this.client = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(1))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(4, 4, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(1024), r -> {
            Thread t = new Thread(r, "checkpoint-query-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try {
            pool.execute(() -> {
                try {
                    answer(exchange, query(exchange.getRequestURI()));
                } catch (IOException | RuntimeException e) {
                    LOG.warn("checkpoint query failed: {}", e.toString());
                    exchange.close();
                }
            });
        } catch (RejectedExecutionException e) {
            answer(exchange, unavailable("too many queries in progress"));
        }
    }

    /** An answer: status, body, extra headers. */
    record Answer(int status, byte[] body, Map<String, String> headers) {}

    Answer query(URI uri) {
        String raw = uri.getRawPath().substring(PREFIX.length());
        if (raw.isEmpty() || raw.contains("/")) {
            return problem(404, "Not Found", "no such path");
        }
        String sessionId = URLDecoder.decode(raw, StandardCharsets.UTF_8);
        Map<String, String> params = params(uri.getRawQuery());
        Position bound = null;
        String minOffset = params.get("min_offset");
        if (minOffset != null) {
            Matcher m = OFFSET.matcher(minOffset);
            if (!m.matches()) {
                return problem(400, "Bad Request", "min_offset must be partition:offset");
            }
            bound = Position.emptyPosition()
                    .withComponent(inputTopic, Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)));
        }
        boolean forwarded = params.containsKey(FORWARDED);
        if (self == null) {
            // no application.server: Streams keeps no host metadata; one instance holds every partition
            return local(sessionId, null, bound, true);
        }
        KeyQueryMetadata metadata = streams.queryMetadataForKey(
                CheckpointNodes.LATEST_STORE, sessionId, Serdes.String().serializer());
        if (metadata == null || metadata.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
            return unavailable("the checkpoint topology is not running or rebalancing");
        }
        int partition = metadata.partition();
        if (self == null || self.equals(metadata.activeHost())) {
            Answer local = local(sessionId, partition, bound, true);
            if (local.status() != 503
                    || self == null
                    || !metadata.standbyHosts().contains(self)) {
                return local;
            }
        } else if (!forwarded) {
            Answer remote = forward(metadata.activeHost(), raw, minOffset);
            if (remote != null && remote.status() != 503) {
                return remote;
            }
        }
        // the owner cannot answer: a standby copy here may, within the lag bound
        if (self != null && metadata.standbyHosts().contains(self) && lagWithinBound(partition)) {
            Answer standby = local(sessionId, partition, bound, false);
            if (standby.status() == 404 && bound == null) {
                // A standby copy cannot prove that a session has no checkpoint: right after a restart under
                // exactly-once its store may have been wiped and not restored yet while its lag still reads
                // as small (the chaos harness saw "none" served after newer checkpoints). Not knowing is 503.
                return unavailable("a standby copy cannot tell that the session has no checkpoint");
            }
            Map<String, String> headers = new LinkedHashMap<>(standby.headers());
            headers.put(SERVED_FROM, "standby");
            return new Answer(standby.status(), standby.body(), headers);
        }
        return unavailable("the owner of the session's partition cannot answer now");
    }

    /**
     * Reads the local copy of {@code partition} (null: of every local partition, the one holding the key).
     * With {@code requireActive} only a running active task's store answers, and only if the same task
     * incarnation ran its partition before and after the read ({@link ServingPartitions}): Kafka Streams'
     * own "active" includes a task still restoring a wiped store.
     */
    private Answer local(String sessionId, Integer partition, Position bound, boolean requireActive) {
        StateQueryRequest<StoredCheckpoint> request = StateQueryRequest.inStore(CheckpointNodes.LATEST_STORE)
                .withQuery(KeyQuery.<String, StoredCheckpoint>withKey(sessionId))
                // committed state only: an uncommitted write may still be rolled back
                .withIsolationLevel(IsolationLevel.READ_COMMITTED);
        request = partition == null ? request.withAllPartitions() : request.withPartitions(Set.of(partition));
        if (bound != null) {
            // Kafka Streams ignores the position bound of a request that requires the active copy, so a
            // bounded read asks whichever local copy there is: the bound itself guarantees what it reads
            request = request.withPositionBound(PositionBound.at(bound));
        } else if (requireActive) {
            request = request.requireActive();
        }
        long deadline = System.nanoTime() + maxWait.toNanos();
        while (true) {
            Map<Integer, Long> before = serving.snapshot();
            QueryResult<StoredCheckpoint> result = null;
            boolean running = !requireActive || partition == null || before.containsKey(partition);
            if (running) {
                try {
                    StateQueryResult<StoredCheckpoint> all = streams.query(request);
                    running = !requireActive
                            || servedThroughout(
                                    before, all.getPartitionResults().keySet());
                    result = partition == null
                            ? merged(all)
                            : all.getPartitionResults().get(partition);
                } catch (RuntimeException e) {
                    return unavailable("the store cannot be queried: " + e.getMessage());
                }
            }
            if (!running) {
                // a read-your-writes read waits for the task to run again, within its bound; a plain read does not
                if (bound == null || System.nanoTime() > deadline) {
                    return unavailable("the session's partition is not running here now (restoring or moving)");
                }
                LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
                continue;
            }
            if (result == null) {
                return unavailable("this instance holds no copy of the session's partition");
            }
            if (result.isSuccess()) {
                return found(result.getResult());
            }
            if (result.getFailureReason() != FailureReason.NOT_UP_TO_BOUND || System.nanoTime() > deadline) {
                return unavailable(
                        result.getFailureReason() == FailureReason.NOT_UP_TO_BOUND
                                ? "the store has not reached offset of the write within " + maxWait.toMillis() + " ms"
                                : "the store cannot answer: " + result.getFailureReason());
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }

    /** Whether every partition read was run by the same task incarnation before the read and after it. */
    private boolean servedThroughout(Map<Integer, Long> before, Set<Integer> read) {
        for (Integer p : read) {
            Long generation = before.get(p);
            if (generation == null || generation != serving.generation(p)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The result over every local partition: a failure if any partition failed (a bounded read waits for
     * the partition it is bounded on), else the value found (a key lives in one partition), else none.
     */
    private static QueryResult<StoredCheckpoint> merged(StateQueryResult<StoredCheckpoint> all) {
        if (all.getPartitionResults().isEmpty()) {
            return null;
        }
        StoredCheckpoint value = null;
        for (QueryResult<StoredCheckpoint> r : all.getPartitionResults().values()) {
            if (r.isFailure()) {
                return r;
            }
            if (r.getResult() != null) {
                value = r.getResult();
            }
        }
        return QueryResult.forResult(value);
    }

    private Answer found(StoredCheckpoint checkpoint) {
        if (checkpoint == null) {
            return absent("none");
        }
        if (checkpoint.isExpiredAt(clock.instant())) {
            return absent("expired");
        }
        return new Answer(200, serde.serializer().serialize(inputTopic, checkpoint), Map.of());
    }

    private boolean lagWithinBound(int partition) {
        try {
            Map<Integer, LagInfo> lags = streams.allLocalStorePartitionLags().get(CheckpointNodes.LATEST_STORE);
            LagInfo lag = lags == null ? null : lags.get(partition);
            return lag != null && lag.offsetLag() <= standbyMaxLag;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The owner's answer, or null when it cannot be reached in time. */
    private Answer forward(HostInfo owner, String rawSession, String minOffset) {
        String query = FORWARDED + "=true"
                + (minOffset == null ? "" : "&min_offset=" + URLEncoder.encode(minOffset, StandardCharsets.UTF_8));
        URI target = URI.create("http://" + owner.host() + ":" + owner.port() + PREFIX + rawSession + "?" + query);
        try {
            HttpResponse<byte[]> response = client.send(
                    HttpRequest.newBuilder(target)
                            .timeout(maxWait.plusSeconds(1))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            Map<String, String> headers = new LinkedHashMap<>();
            response.headers().firstValue(SERVED_FROM).ifPresent(v -> headers.put(SERVED_FROM, v));
            return new Answer(response.statusCode(), response.body(), headers);
        } catch (IOException e) {
            LOG.debug("owner {} not reachable: {}", owner, e.toString());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static Map<String, String> params(String rawQuery) {
        Map<String, String> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.putIfAbsent(name, value);
        }
        return params;
    }

    private static Answer absent(String reason) {
        ObjectNode body = Json.mapper().createObjectNode();
        body.put("status", 404);
        body.put("reason", reason);
        return new Answer(404, bytes(body), Map.of());
    }

    private static Answer unavailable(String detail) {
        return problem(503, "Service Unavailable", detail);
    }

    private static Answer problem(int status, String title, String detail) {
        ObjectNode body = Json.mapper().createObjectNode();
        body.put("type", "about:blank");
        body.put("title", title);
        body.put("status", status);
        body.put("detail", detail);
        return new Answer(status, bytes(body), Map.of("Content-Type", "application/problem+json"));
    }

    private static byte[] bytes(ObjectNode node) {
        try {
            return Json.mapper().writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void answer(HttpExchange exchange, Answer answer) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        answer.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(answer.status(), answer.body().length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer.body());
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
