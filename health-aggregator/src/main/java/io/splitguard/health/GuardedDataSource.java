package io.splitguard.health;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A connection pool behind a circuit breaker: the breaker sits where connections are handed out, so
 * every user of the pool (a service's writes and its health check alike) shares one view of the
 * database. A failure to get a connection counts against the breaker; once it is open (3 consecutive
 * failures, see {@link Breakers}) {@link #getConnection()} fails at once with {@link BreakerOpen} (an
 * {@link SQLTransientConnectionException}, SQLState {@code 08001}, which callers already retry) instead
 * of making each caller wait for the pool's connection timeout. What is done with a connection once
 * handed out (queries, their errors) does not count: a constraint violation says nothing about
 * whether the database is there.
 */
public final class GuardedDataSource implements DataSource {

    /** Refused without asking the pool: the breaker is open. */
    public static final class BreakerOpen extends SQLTransientConnectionException {

        private static final long serialVersionUID = 1L;

        BreakerOpen(String breaker) {
            super(
                    "circuit breaker '" + breaker + "' is open: no connection is attempted until its wait is over",
                    "08001");
        }
    }

    private final DataSource pool;
    private final CircuitBreaker breaker;

    public GuardedDataSource(DataSource pool, CircuitBreaker breaker) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.breaker = Objects.requireNonNull(breaker, "breaker");
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    /** The pool behind the breaker. */
    public DataSource pool() {
        return pool;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return guarded(pool::getConnection);
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return guarded(() -> pool.getConnection(username, password));
    }

    private interface Connect {
        Connection get() throws SQLException;
    }

    private Connection guarded(Connect connect) throws SQLException {
        if (!breaker.tryAcquirePermission()) {
            throw new BreakerOpen(breaker.getName());
        }
        long start = System.nanoTime();
        try {
            Connection connection = connect.get();
            breaker.onSuccess(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            return connection;
        } catch (SQLException | RuntimeException e) {
            breaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, e);
            throw e;
        } catch (Error e) {
            breaker.releasePermission();
            throw e;
        }
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return pool.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        pool.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        pool.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return pool.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return pool.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        return type.isInstance(this) ? type.cast(this) : pool.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
        return type.isInstance(this) || pool.isWrapperFor(type);
    }
}
