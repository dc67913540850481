package io.splitguard.sink.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.splitguard.sink.config.SinkConfig;

/** The sink's small connection pool. */
public final class SinkDataSources {

    private SinkDataSources() {}

    public static HikariDataSource create(SinkConfig config) {
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName("splitguard-sink");
        hikari.setJdbcUrl(config.jdbcUrl());
        hikari.setUsername(config.user());
        hikari.setPassword(config.password());
        hikari.setMaximumPoolSize(config.poolSize());
        hikari.setMinimumIdle(1);
        hikari.setConnectionTimeout(10_000);
        // a sink that cannot reach the database at start still starts, and retries in its loop
        hikari.setInitializationFailTimeout(-1);
        // multi-row INSERTs on the wire; executeBatch then reports -2 per row, which nothing here reads
        hikari.addDataSourceProperty("reWriteBatchedInserts", "true");
        hikari.addDataSourceProperty("ApplicationName", "splitguard-postgres-sink");
        return new HikariDataSource(hikari);
    }
}
