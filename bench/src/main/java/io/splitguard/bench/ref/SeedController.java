package io.splitguard.bench.ref;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The seed-style baseline of issue 12: the guide's own per-request design behind the same route and
 * body as the gateway's contact update, so the bench can load both with the same wrk script.
 *
 * <p>Per request, on a blocking worker thread (the usual way to write it with JDBC):
 *
 * <ol>
 *   <li>take the session's lock in Redis: {@code SET lock:<session_id> <random token> NX PX 5000},
 *       retried every 2 ms for up to 5 s while another request of the same session holds it (then 409);
 *   <li>one PostgreSQL transaction (HikariCP, the same server and {@code fsync}/{@code
 *       synchronous_commit} settings as SplitGuard's sink): {@code INSERT … ON CONFLICT (idempotency_key) DO
 *       NOTHING} into {@code seed.idempotency_store} with the body's SHA-256 and the cached response, and,
 *       when that inserted a row, the contact update into {@code seed.crm_contact_updates}; a key seen
 *       before answers the stored response with {@code Idempotent-Replayed: true} (409 if its hash
 *       differs);
 *   <li>release the lock with the Lua compare-and-delete, by SHA.
 * </ol>
 *
 * <p>Every 200 therefore means a committed row, so its rate is its sustained end-to-end rate. What it
 * leaves out, as the guide's design does: a fencing token on the write (a lock that expired while the
 * transaction ran is not noticed), bearer-token and JSON Schema checks (the gateway does both).
 */
@Controller
@Requires(property = "bench.ref.mode", value = "seed")
public class SeedController {

    public static final String PATH = "/ref/seed/contact/update";

    /** The same compare-and-delete as the lease reference. */
    static final String RELEASE_SCRIPT = RedisLeaseController.RELEASE_SCRIPT;

    static final long LOCK_TTL_MS = 5_000;
    static final long LOCK_WAIT_MS = 5_000;
    static final long LOCK_RETRY_MS = 2;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    static final String SCHEMA =
            """
            CREATE SCHEMA IF NOT EXISTS seed;
            CREATE TABLE IF NOT EXISTS seed.idempotency_store (
                idempotency_key TEXT PRIMARY KEY,
                session_id      TEXT        NOT NULL,
                payload_hash    TEXT        NOT NULL,
                status          TEXT        NOT NULL,
                response        JSONB       NOT NULL,
                created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
                expires_at      TIMESTAMPTZ NOT NULL DEFAULT now() + interval '24 hours');
            CREATE TABLE IF NOT EXISTS seed.crm_contact_updates (
                id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                idempotency_key TEXT        NOT NULL UNIQUE,
                session_id      TEXT        NOT NULL,
                contact_id      TEXT,
                operation       TEXT,
                payload         JSONB       NOT NULL,
                written_at      TIMESTAMPTZ NOT NULL DEFAULT now());
            """;

    private static final String INSERT_KEY = "INSERT INTO seed.idempotency_store"
            + " (idempotency_key, session_id, payload_hash, status, response) VALUES (?, ?, ?, 'applied', ?::jsonb)"
            + " ON CONFLICT (idempotency_key) DO NOTHING";
    private static final String INSERT_UPDATE = "INSERT INTO seed.crm_contact_updates"
            + " (idempotency_key, session_id, contact_id, operation, payload) VALUES (?, ?, ?, ?, ?::jsonb)";
    private static final String FIND_KEY =
            "SELECT payload_hash, response::text FROM seed.idempotency_store WHERE idempotency_key = ?";

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisCommands<String, String> redis;
    private final String releaseSha;
    private final HikariDataSource pool;

    public SeedController(
            @Value("${bench.ref.redis-uri}") String redisUri,
            @Value("${bench.ref.jdbc}") String jdbc,
            @Value("${bench.ref.db-user}") String user,
            @Value("${bench.ref.db-password:}") String password,
            @Value("${bench.ref.pool-size:32}") int poolSize)
            throws SQLException {
        this.client = RedisClient.create(RedisURI.create(redisUri));
        this.connection = client.connect();
        this.connection.setTimeout(Duration.ofSeconds(10));
        this.redis = connection.sync();
        this.releaseSha = redis.scriptLoad(RELEASE_SCRIPT);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbc);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(poolSize);
        config.setPoolName("seed");
        config.setAutoCommit(false);
        this.pool = new HikariDataSource(config);
        try (Connection c = pool.getConnection();
                Statement s = c.createStatement()) {
            s.execute(SCHEMA);
            c.commit();
        }
    }

    @Post(uri = PATH, consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    @ExecuteOn(TaskExecutors.BLOCKING)
    public HttpResponse<byte[]> update(@Nullable @Header("Idempotency-Key") String key, @Body byte[] body) {
        JsonNode request = Bodies.object(body);
        String session = Bodies.text(request, "session_id");
        if (key == null || key.isBlank() || session == null) {
            return Bodies.error(HttpStatus.BAD_REQUEST);
        }
        String token = UUID.randomUUID().toString();
        String lock = "lock:" + session;
        try {
            if (!acquire(lock, token)) {
                return Bodies.error(HttpStatus.CONFLICT);
            }
        } catch (RuntimeException e) {
            return Bodies.error(HttpStatus.SERVICE_UNAVAILABLE);
        }
        try {
            return apply(key, session, request, body);
        } catch (SQLException e) {
            return Bodies.error(HttpStatus.SERVICE_UNAVAILABLE);
        } finally {
            try {
                redis.evalsha(releaseSha, ScriptOutputType.INTEGER, new String[] {lock}, token);
            } catch (RuntimeException e) {
                // the lock expires on its own after LOCK_TTL_MS
            }
        }
    }

    private boolean acquire(String lock, String token) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LOCK_WAIT_MS);
        while (!"OK".equals(redis.set(lock, token, SetArgs.Builder.nx().px(LOCK_TTL_MS)))) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(LOCK_RETRY_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private HttpResponse<byte[]> apply(String key, String session, JsonNode request, byte[] body) throws SQLException {
        String hash = sha256(body);
        byte[] answer =
                ("{\"status\":\"applied\",\"session_id\":" + quote(session) + "}").getBytes(StandardCharsets.UTF_8);
        try (Connection c = pool.getConnection()) {
            try {
                int inserted;
                try (PreparedStatement s = c.prepareStatement(INSERT_KEY)) {
                    s.setString(1, key);
                    s.setString(2, session);
                    s.setString(3, hash);
                    s.setString(4, new String(answer, StandardCharsets.UTF_8));
                    inserted = s.executeUpdate();
                }
                if (inserted == 1) {
                    try (PreparedStatement s = c.prepareStatement(INSERT_UPDATE)) {
                        s.setString(1, key);
                        s.setString(2, session);
                        s.setString(3, Bodies.text(request, "contact_id"));
                        s.setString(4, Bodies.text(request, "operation"));
                        JsonNode payload = request.get("payload");
                        s.setString(5, payload == null ? "{}" : payload.toString());
                        s.executeUpdate();
                    }
                    c.commit();
                    return HttpResponse.ok(answer).contentType(MediaType.APPLICATION_JSON_TYPE);
                }
                String storedHash;
                String stored;
                try (PreparedStatement s = c.prepareStatement(FIND_KEY)) {
                    s.setString(1, key);
                    try (ResultSet rs = s.executeQuery()) {
                        rs.next();
                        storedHash = rs.getString(1);
                        stored = rs.getString(2);
                    }
                }
                c.commit();
                if (!storedHash.equals(hash)) {
                    return Bodies.error(HttpStatus.CONFLICT);
                }
                return HttpResponse.ok(stored.getBytes(StandardCharsets.UTF_8))
                        .contentType(MediaType.APPLICATION_JSON_TYPE)
                        .header("Idempotent-Replayed", "true");
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private static String sha256(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String quote(String s) {
        try {
            return MAPPER.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @PreDestroy
    public void close() {
        pool.close();
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
