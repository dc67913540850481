package io.splitguard.bench.ref;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * Reference of the lease benchmark: the single-instance Redis lock design, behind the same HTTP routes
 * and JSON shapes as SplitGuard's lease API. Acquire is {@code SET lease:<resource_id> <token> NX PX
 * <ttl>}; release is a Lua compare-and-delete ({@code if redis.call('get',KEYS[1])==ARGV[1] then return
 * redis.call('del',KEYS[1]) else return 0 end}), run by its SHA. One Lettuce connection (thread-safe,
 * commands pipelined on it) and no thread waits per request: the answer completes from Lettuce's I/O
 * thread.
 *
 * <p>What it does not do, by design of what it stands for: there is no fencing token (the answer's
 * {@code fencing_token} is {@code null}), expiry runs on Redis's clock ({@code expires_at} is only this
 * server's estimate), and the lock is as durable as the Redis process it lives in. Unlike the gateway it
 * checks no bearer token and no JSON Schema, only that the fields it needs are there.
 */
@Controller
@Requires(property = "bench.ref.mode", value = "redis")
public class RedisLeaseController {

    public static final String BASE = "/ref/locks";

    /** The compare-and-delete of the release. */
    public static final String RELEASE_SCRIPT =
            "if redis.call('get',KEYS[1])==ARGV[1] then return redis.call('del',KEYS[1]) else return 0 end";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisAsyncCommands<String, String> redis;
    private final String releaseSha;

    public RedisLeaseController(@Value("${bench.ref.redis-uri}") String uri) {
        this.client = RedisClient.create(RedisURI.create(uri));
        this.connection = client.connect();
        this.redis = connection.async();
        this.releaseSha = connection.sync().scriptLoad(RELEASE_SCRIPT);
        connection.setTimeout(Duration.ofSeconds(10));
    }

    @Post(uri = BASE + "/acquire", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<HttpResponse<byte[]>> acquire(@Body byte[] body) {
        JsonNode request = Bodies.object(body);
        String resource = Bodies.text(request, "resource_id");
        String region = Bodies.text(request, "region_origin");
        JsonNode ttlNode = request == null ? null : request.get("lock_ttl_ms");
        if (resource == null
                || region == null
                || Bodies.text(request, "correlation_id") == null
                || ttlNode == null
                || !ttlNode.canConvertToLong()
                || ttlNode.longValue() < 1) {
            return CompletableFuture.completedFuture(problem(HttpStatus.UNPROCESSABLE_ENTITY));
        }
        long ttl = ttlNode.longValue();
        String token = UUID.randomUUID().toString();
        return redis.set(key(resource), token, SetArgs.Builder.nx().px(ttl))
                .toCompletableFuture()
                .handle((ok, error) -> {
                    if (error != null) {
                        return problem(HttpStatus.SERVICE_UNAVAILABLE);
                    }
                    ObjectNode answer = MAPPER.createObjectNode();
                    answer.put("resource_id", resource);
                    if (!"OK".equals(ok)) {
                        answer.put("status", "conflict");
                        return json(HttpStatus.CONFLICT, answer);
                    }
                    answer.put("status", "granted");
                    answer.put("lock_token", token);
                    answer.putNull("fencing_token");
                    answer.put("holder_region", region);
                    answer.put("expires_at", Instant.now().plusMillis(ttl).toString());
                    return json(HttpStatus.OK, answer);
                });
    }

    @Post(uri = BASE + "/release", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<HttpResponse<byte[]>> release(@Body byte[] body) {
        JsonNode request = Bodies.object(body);
        String resource = Bodies.text(request, "resource_id");
        String token = Bodies.text(request, "lock_token");
        if (resource == null || token == null) {
            return CompletableFuture.completedFuture(problem(HttpStatus.UNPROCESSABLE_ENTITY));
        }
        return redis.<Long>evalsha(releaseSha, ScriptOutputType.INTEGER, new String[] {key(resource)}, token)
                .toCompletableFuture()
                .handle((deleted, error) -> {
                    if (error != null) {
                        return problem(HttpStatus.SERVICE_UNAVAILABLE);
                    }
                    ObjectNode answer = MAPPER.createObjectNode();
                    answer.put("resource_id", resource);
                    boolean released = deleted != null && deleted == 1L;
                    answer.put("status", released ? "released" : "not_holder");
                    return json(released ? HttpStatus.OK : HttpStatus.CONFLICT, answer);
                });
    }

    private static String key(String resource) {
        return "lease:" + resource;
    }

    private static HttpResponse<byte[]> json(HttpStatus status, ObjectNode answer) {
        try {
            return HttpResponse.<byte[]>status(status)
                    .contentType(MediaType.APPLICATION_JSON_TYPE)
                    .body(MAPPER.writeValueAsBytes(answer));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse<byte[]> problem(HttpStatus status) {
        return HttpResponse.<byte[]>status(status)
                .contentType(MediaType.APPLICATION_JSON_TYPE)
                .body(("{\"status\":" + status.getCode() + "}").getBytes(StandardCharsets.UTF_8));
    }

    @PreDestroy
    public void close() {
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
