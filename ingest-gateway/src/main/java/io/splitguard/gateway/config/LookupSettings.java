package io.splitguard.gateway.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/**
 * {@code splitguard.idempotency.lookup.*}: where {@code GET /api/v2/idempotency/{key}} looks when this
 * instance's memory has no completed answer for a key: the sink's {@code idempotency_store} table, read
 * through a small read-only JDBC pool. Without {@code jdbc-url} the lookup answers from this
 * instance's memory only. Environment: {@code SPLITGUARD_IDEMPOTENCY_LOOKUP_JDBC_URL}, {@code
 * SPLITGUARD_IDEMPOTENCY_LOOKUP_USER}, {@code SPLITGUARD_IDEMPOTENCY_LOOKUP_PASSWORD}, {@code
 * SPLITGUARD_IDEMPOTENCY_LOOKUP_TIMEOUT}, {@code SPLITGUARD_IDEMPOTENCY_LOOKUP_POOL_SIZE}.
 */
@ConfigurationProperties("splitguard.idempotency.lookup")
public class LookupSettings {

    private String jdbcUrl;
    private String user;
    private String password;
    private Duration timeout = Duration.ofSeconds(2);
    private int poolSize = 4;
    private int queue = 256;
    private Duration openCircuitFor = Duration.ofSeconds(5);

    /** True when a database is configured. */
    public boolean enabled() {
        return jdbcUrl != null && !jdbcUrl.isBlank();
    }

    /** JDBC URL of the database the sink writes, e.g. {@code jdbc:postgresql://db:5432/splitguard}. */
    public String getJdbcUrl() {
        return jdbcUrl;
    }

    public void setJdbcUrl(String jdbcUrl) {
        this.jdbcUrl = jdbcUrl;
    }

    /** Database user of the lookup (read-only access to idempotency_store and crm_contact_updates is enough). */
    public String getUser() {
        return user;
    }

    public void setUser(String user) {
        this.user = user;
    }

    /** Database password of the lookup. Never logged. */
    public String getPassword() {
        return password;
    }

    public void setPassword(String password) {
        this.password = password;
    }

    /**
     * The longest a lookup may take (waiting for a connection, the query, the answer); past it the
     * answer is 503 "unknown". Also the connection and statement timeouts.
     */
    public Duration getTimeout() {
        return timeout;
    }

    public void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    /** Connections (and lookup threads). */
    public int getPoolSize() {
        return poolSize;
    }

    public void setPoolSize(int poolSize) {
        this.poolSize = poolSize;
    }

    /** Lookups that may wait for a thread; more are answered 503 at once. */
    public int getQueue() {
        return queue;
    }

    public void setQueue(int queue) {
        this.queue = queue;
    }

    /** How long the circuit breaker answers 503 without asking the database after it opened. */
    public Duration getOpenCircuitFor() {
        return openCircuitFor;
    }

    public void setOpenCircuitFor(Duration openCircuitFor) {
        this.openCircuitFor = openCircuitFor;
    }
}
