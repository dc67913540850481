package io.splitguard.health;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * {@code database_replication}: whether the PostgreSQL database a service writes to is replicated as
 * required, from {@code pg_stat_replication} on the primary (state, sync_state and replay lag of each
 * standby). Connections come through a circuit breaker ({@link GuardedDataSource}): a database that
 * cannot be connected to three times in a row is not called again until the breaker's wait is over.
 * Hand in the service's guarded pool to share its breaker; a plain one gets a breaker of its own.
 *
 * <ul>
 *   <li>replication required: healthy only with at least one {@code streaming} standby whose
 *       {@code sync_state} is {@code sync} or {@code quorum} and whose replay lag is within
 *       {@code max_allowed_lag_ms}; a standalone or lagging database is unhealthy;
 *   <li>not required: a standalone database is healthy with {@code "mode": "standalone"}; standbys
 *       are reported, their lag too;
 *   <li>a database that does not answer (or a breaker that is open) is unhealthy either way;
 *   <li>connected to a standby (in recovery) instead of the primary: unhealthy, writes would fail.
 * </ul>
 * Reading other sessions' replication rows needs {@code pg_monitor} (or superuser); without it the
 * lag columns read as null and count as 0.
 */
public final class DatabaseReplicationCheck implements ComponentCheck {

    static final String QUERY = "SELECT state, sync_state,"
            + " COALESCE(CAST(EXTRACT(EPOCH FROM replay_lag) * 1000 AS BIGINT), 0) AS replay_lag_ms"
            + " FROM pg_stat_replication";

    private final DataSource dataSource;
    private final CircuitBreaker breaker;
    private final boolean required;
    private final long maxAllowedLagMs;
    private final int queryTimeoutSeconds;

    /**
     * @param dataSource the service's pool (the check borrows one connection per run)
     * @param breaker the database's breaker (see {@link Breakers})
     * @param required whether a synchronous streaming replica is required
     * @param maxAllowedLagMs largest replay lag that counts as in sync
     * @param queryTimeout bound of each query (rounded up to whole seconds, JDBC's unit)
     */
    public DatabaseReplicationCheck(
            DataSource dataSource,
            CircuitBreaker breaker,
            boolean required,
            long maxAllowedLagMs,
            Duration queryTimeout) {
        Objects.requireNonNull(dataSource, "dataSource");
        this.breaker = Objects.requireNonNull(breaker, "breaker");
        this.dataSource = dataSource instanceof GuardedDataSource guarded && guarded.breaker() == breaker
                ? guarded
                : new GuardedDataSource(dataSource, breaker);
        this.required = required;
        this.maxAllowedLagMs = maxAllowedLagMs;
        this.queryTimeoutSeconds = (int) Math.max(1, (queryTimeout.toMillis() + 999) / 1000);
    }

    /**
     * The check with {@code settings}' replication policy, on {@code dataSource}'s breaker when it is a
     * {@link GuardedDataSource} (shared with the service's own use of the pool), else on a breaker of its
     * own named {@code database}.
     */
    public static DatabaseReplicationCheck create(
            DataSource dataSource, HealthSettings settings, io.micrometer.core.instrument.MeterRegistry registry) {
        return new DatabaseReplicationCheck(
                dataSource,
                dataSource instanceof GuardedDataSource guarded
                        ? guarded.breaker()
                        : Breakers.create("database", settings.breakerOpenWait(), registry),
                settings.dbReplicationRequired(),
                settings.dbMaxLagMs(),
                settings.timeout());
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    private record Replication(boolean inRecovery, int standbys, int syncStreaming, long maxLagMs, long syncLagMs) {}

    @Override
    public ComponentHealth check() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("required", required);
        details.put("max_allowed_lag_ms", maxAllowedLagMs);
        Replication r;
        try {
            r = query();
        } catch (GuardedDataSource.BreakerOpen e) {
            details.put("error", "circuit breaker open: the database is not called until the wait is over");
            details.put("circuit_breaker", Breakers.describe(breaker));
            return ComponentHealth.unhealthy(details);
        } catch (Exception e) {
            details.put("error", "database does not answer: " + CompositeHealth.describe(e));
            details.put("circuit_breaker", Breakers.describe(breaker));
            return ComponentHealth.unhealthy(details);
        }
        details.put("circuit_breaker", Breakers.describe(breaker));
        if (r.inRecovery) {
            details.put("mode", "standby");
            details.put("error", "connected to a standby in recovery, not to the primary");
            return ComponentHealth.unhealthy(details);
        }
        details.put("mode", r.standbys == 0 ? "standalone" : "replicated");
        details.put("replicas", r.standbys);
        details.put("sync_replicas", r.syncStreaming);
        if (r.standbys > 0) {
            details.put("replication_lag_ms", r.syncStreaming > 0 ? r.syncLagMs : r.maxLagMs);
        }
        if (!required) {
            return ComponentHealth.healthy(details);
        }
        if (r.syncStreaming == 0) {
            details.put(
                    "error",
                    r.standbys == 0
                            ? "replication required but the database is standalone"
                            : "replication required but no standby streams synchronously");
            return ComponentHealth.unhealthy(details);
        }
        if (r.syncLagMs > maxAllowedLagMs) {
            details.put("error", "synchronous standby lags " + r.syncLagMs + " ms (max " + maxAllowedLagMs + ")");
            return ComponentHealth.unhealthy(details);
        }
        return ComponentHealth.healthy(details);
    }

    private Replication query() throws SQLException {
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement()) {
            statement.setQueryTimeout(queryTimeoutSeconds);
            boolean inRecovery;
            try (ResultSet rs = statement.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                inRecovery = rs.getBoolean(1);
            }
            int standbys = 0;
            int syncStreaming = 0;
            long maxLag = 0;
            long syncLag = Long.MAX_VALUE;
            try (ResultSet rs = statement.executeQuery(QUERY)) {
                while (rs.next()) {
                    standbys++;
                    long lag = rs.getLong("replay_lag_ms");
                    maxLag = Math.max(maxLag, lag);
                    String syncState = rs.getString("sync_state");
                    if ("streaming".equals(rs.getString("state"))
                            && ("sync".equals(syncState) || "quorum".equals(syncState))) {
                        syncStreaming++;
                        syncLag = Math.min(syncLag, lag);
                    }
                }
            }
            return new Replication(inRecovery, standbys, syncStreaming, maxLag, syncStreaming == 0 ? 0 : syncLag);
        }
    }
}
