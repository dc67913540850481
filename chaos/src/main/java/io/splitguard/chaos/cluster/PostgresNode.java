package io.splitguard.chaos.cluster;

import io.splitguard.infra.LocalPostgres;
import java.nio.file.Path;

/**
 * The harness's PostgreSQL: durable (fsync and synchronous commit on, as the sink's exactly-once
 * promise assumes), on 127.0.0.1 in the root namespace, and able to go away and come back.
 * {@link #suspend()} is a crash of the database (immediate shutdown, connections cut, no
 * checkpoint); {@link #resume()} starts it again on the same data and port, through crash recovery.
 */
public final class PostgresNode implements AutoCloseable {

    private final LocalPostgres postgres;

    private PostgresNode(LocalPostgres postgres) {
        this.postgres = postgres;
    }

    /** Initializes and starts a fresh durable server; its data lives below {@code parent} (or /tmp as root). */
    public static PostgresNode start(Path parent) {
        PostgresNode node = new PostgresNode(LocalPostgres.start(parent, true));
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

    /** Stops the server and deletes its data. */
    @Override
    public void close() {
        postgres.close();
    }
}
