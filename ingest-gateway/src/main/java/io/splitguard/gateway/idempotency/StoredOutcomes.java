package io.splitguard.gateway.idempotency;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.splitguard.gateway.config.LookupSettings;
import io.splitguard.health.ComponentCheck;
import io.splitguard.health.DatabaseReplicationCheck;
import io.splitguard.health.HealthSettings;
import io.splitguard.schemas.json.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-only lookups of completed outcomes in the sink's {@code idempotency_store} (kept 7 days, longer
 * than any gateway's memory), for {@code GET /api/v2/idempotency/{key}} when this instance holds no
 * completed answer. Every lookup is bounded: a small pool on its own threads and a bounded queue,
 * connection and statement timeouts, an overall deadline, and a circuit breaker that stops asking a
 * database that keeps failing. A lookup that cannot finish answers {@link Result.Unknown}, never
 * "absent". The sink writes only applied keys into the table, so only completed outcomes are found.
 */
public final class StoredOutcomes implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StoredOutcomes.class);

    /**
     * The last applied row of (tenant, key), whatever its route or session, as the cache's index does.
     * The tenant column is the one the gateway puts into the scoped key (the token's tenant).
     */
    static final String QUERY = "SELECT s.idempotency_key, s.route, s.session_id, s.payload_hash, s.status,"
            + " s.sequence, s.created_at, u.applied_at"
            + " FROM idempotency_store s LEFT JOIN crm_contact_updates u ON u.scoped_key = s.scoped_key"
            + " WHERE s.idempotency_key = ? AND s.tenant = ?"
            + " ORDER BY s.created_at DESC, s.id DESC LIMIT 1";

    /** What the database says about a key. */
    public sealed interface Result {
        /** The stored outcome, in the shape of the cache's answer. */
        record Found(ObjectNode body) implements Result {}

        /** The database keeps no outcome for the key. */
        record Absent() implements Result {}

        /** The database could not be asked in time: the key may or may not be known. */
        record Unknown(String reason) implements Result {}
    }

    private final HikariDataSource pool;
    private final ThreadPoolExecutor executor;
    private final CircuitBreaker breaker;
    private final Duration timeout;
    private final int queryTimeoutSeconds;

    public StoredOutcomes(LookupSettings settings) {
        this.timeout = settings.getTimeout();
        long timeoutMs = Math.max(250, timeout.toMillis());
        this.queryTimeoutSeconds = (int) Math.max(1, (timeoutMs + 999) / 1000);
        HikariConfig config = new HikariConfig();
        config.setPoolName("gateway-idempotency-lookup");
        config.setJdbcUrl(settings.getJdbcUrl());
        if (settings.getUser() != null) {
            config.setUsername(settings.getUser());
        }
        if (settings.getPassword() != null) {
            config.setPassword(settings.getPassword());
        }
        config.setReadOnly(true);
        config.setAutoCommit(true);
        config.setMaximumPoolSize(Math.max(1, settings.getPoolSize()));
        config.setMinimumIdle(1);
        config.setConnectionTimeout(timeoutMs);
        config.setValidationTimeout(Math.max(250, Math.min(timeoutMs - 1, 1_000)));
        // start even when the database is down: lookups then answer "unknown" until it is back
        config.setInitializationFailTimeout(-1);
        // the driver's own bounds, so a hung server cannot hold a thread for longer than the lookup may take
        config.addDataSourceProperty("connectTimeout", Integer.toString(queryTimeoutSeconds));
        config.addDataSourceProperty("socketTimeout", Integer.toString(queryTimeoutSeconds + 1));
        config.addDataSourceProperty("options", "-c statement_timeout=" + timeoutMs);
        config.addDataSourceProperty("ApplicationName", "splitguard-gateway-lookup");
        this.pool = new HikariDataSource(config);
        LOG.info(
                "idempotency lookups fall back to {} (timeout {})", withoutCredentials(settings.getJdbcUrl()), timeout);
        AtomicInteger threads = new AtomicInteger();
        int size = Math.max(1, settings.getPoolSize());
        this.executor = new ThreadPoolExecutor(
                size, size, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(Math.max(1, settings.getQueue())), r -> {
                    Thread t = new Thread(r, "gateway-idempotency-lookup-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.executor.allowCoreThreadTimeOut(true);
        this.breaker = CircuitBreaker.of(
                "idempotency-lookup",
                CircuitBreakerConfig.custom()
                        .slidingWindowSize(20)
                        .minimumNumberOfCalls(5)
                        .failureRateThreshold(50)
                        .waitDurationInOpenState(settings.getOpenCircuitFor())
                        .permittedNumberOfCallsInHalfOpenState(2)
                        .automaticTransitionFromOpenToHalfOpenEnabled(false)
                        .build());
    }

    /** The stored outcome of (tenant, key); completes within the configured timeout, never exceptionally. */
    public CompletableFuture<Result> find(String tenant, String idempotencyKey) {
        if (!breaker.tryAcquirePermission()) {
            return CompletableFuture.completedFuture(
                    new Result.Unknown("the database failed repeatedly; not asking it for a moment"));
        }
        CompletableFuture<Result> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                if (result.isDone()) {
                    // the deadline passed while queued: do not add load
                    breaker.releasePermission();
                    return;
                }
                long start = System.nanoTime();
                try {
                    Result found = query(tenant, idempotencyKey);
                    breaker.onSuccess(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                    result.complete(found);
                } catch (SQLException | RuntimeException e) {
                    breaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, e);
                    LOG.warn("idempotency lookup failed: {}", e.toString());
                    result.complete(new Result.Unknown(
                            "the database could not be read: " + e.getClass().getSimpleName()));
                }
            });
        } catch (RejectedExecutionException e) {
            breaker.releasePermission();
            return CompletableFuture.completedFuture(new Result.Unknown("too many lookups are waiting"));
        }
        return result.completeOnTimeout(
                new Result.Unknown("the database did not answer within " + timeout.toMillis() + " ms"),
                Math.max(250, timeout.toMillis()),
                TimeUnit.MILLISECONDS);
    }

    private Result query(String tenant, String idempotencyKey) throws SQLException {
        try (Connection c = pool.getConnection();
                PreparedStatement ps = c.prepareStatement(QUERY)) {
            ps.setQueryTimeout(queryTimeoutSeconds);
            ps.setString(1, idempotencyKey);
            ps.setString(2, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new Result.Absent();
                }
                ObjectNode body = Json.mapper().createObjectNode();
                body.put("idempotency_key", rs.getString("idempotency_key"));
                body.put("session_id", rs.getString("session_id"));
                body.put("route", rs.getString("route"));
                body.put("payload_hash", rs.getString("payload_hash"));
                body.put("status", rs.getString("status"));
                body.put("sequence", rs.getLong("sequence"));
                body.put(
                        "received_at",
                        rs.getObject("created_at", OffsetDateTime.class)
                                .toInstant()
                                .toString());
                OffsetDateTime applied = rs.getObject("applied_at", OffsetDateTime.class);
                if (applied != null) {
                    body.put("applied_at", applied.toInstant().toString());
                }
                // the table keeps only accepted (200) answers
                body.put("response_status", 200);
                return new Result.Found(body);
            }
        }
    }

    /** The circuit breaker's state, for metrics and tests. */
    public String circuitState() {
        return breaker.getState().name();
    }

    /** The JDBC URL without its query (which may carry {@code password=}) and without user info. */
    static String withoutCredentials(String jdbcUrl) {
        if (jdbcUrl == null) {
            return null;
        }
        String url = jdbcUrl;
        int query = url.indexOf('?');
        if (query >= 0) {
            url = url.substring(0, query);
        }
        return url.replaceFirst("//[^/@]*@", "//");
    }

    /**
     * The {@code database_replication} health component of the lookup's database, on a breaker of its
     * own: the lookup's pool is read-only and has its own timeouts.
     */
    public ComponentCheck replicationCheck(HealthSettings settings, MeterRegistry registry) {
        return DatabaseReplicationCheck.create(pool, settings, registry);
    }

    @Override
    public void close() {
        executor.shutdownNow();
        pool.close();
    }
}
