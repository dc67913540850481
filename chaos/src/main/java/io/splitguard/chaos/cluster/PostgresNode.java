package io.splitguard.chaos.cluster;

import io.splitguard.infra.LocalPostgres;
import java.nio.file.Path;

/**
 * The harness's PostgreSQL: durable (fsync and synchronous commit on, as the sink's exactly-once
 * promise assumes), on 127.0.0.1 in the root namespace, and able to go away and come back.
 * {@link #suspend()} is a crash of the database (immediate shutdown, connections cut, no
 * checkpoint); {@link #resume()} starts it again on the same data and port, through crash recovery.
 *
 * <p>Where the binaries include {@code pg_basebackup} the primary has a synchronous streaming standby
 * ({@link #hasStandby()}), as a production deployment would: every durable commit waits for the
 * standby's flush, and the standby reconnects by itself after the primary's crash.
 */
public final class PostgresNode implements AutoCloseable {

    private final LocalPostgres postgres;
    private final LocalPostgres standby;

    private PostgresNode(LocalPostgres postgres, LocalPostgres standby) {
        this.postgres = postgres;
        this.standby = standby;
    }

    /**
     * Initializes and starts a fresh durable server, with its synchronous standby where the binaries can
     * make one; their data lives below {@code parent} (or /tmp as root).
     */
    public static PostgresNode start(Path parent) {
        LocalPostgres primary = LocalPostgres.start(parent, true);
        LocalPostgres standby;
        try {
            standby = primary.canStartStandby() ? primary.startStandby(true) : null;
        } catch (RuntimeException e) {
            primary.close();
            throw e;
        }
        PostgresNode node = new PostgresNode(primary, standby);
        // a harness stopped by a signal still takes its database down (close() is idempotent)
        Runtime.getRuntime().addShutdownHook(new Thread(node::close, "postgres-node-shutdown"));
        return node;
    }

    /** Creates a database and returns its JDBC URL. */
    public String createDatabase(String name) {
        return postgres.createDatabase(name);
    }

    public String jdbcUrl(String database) {
        return postgres.jdbcUrl(database);
    }

    public String user() {
        return postgres.user();
    }

    public String password() {
        return postgres.password();
    }

    public int port() {
        return postgres.port();
    }

    public void suspend() {
        postgres.suspend();
    }

    public void resume() {
        postgres.resumeServer();
    }

    public boolean isRunning() {
        return postgres.isRunning();
    }

    /** Whether the primary has a synchronous streaming standby. */
    public boolean hasStandby() {
        return standby != null;
    }

    /** Stops the servers and deletes their data. */
    @Override
    public void close() {
        try {
            postgres.close();
        } finally {
            if (standby != null) {
                standby.close();
            }
        }
    }
}
