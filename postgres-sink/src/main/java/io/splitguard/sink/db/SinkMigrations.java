package io.splitguard.sink.db;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink's versioned schema (Flyway). Its scripts live in {@code db/migration/sink} and its
 * history in a table of its own, so other modules' migrations into the same database never collide
 * with these.
 */
public final class SinkMigrations {

    public static final String LOCATION = "classpath:db/migration/sink";
    public static final String HISTORY_TABLE = "splitguard_sink_schema_history";

    private static final Logger LOG = LoggerFactory.getLogger(SinkMigrations.class);

    private SinkMigrations() {}

    /** Brings the database to the newest version; does nothing on an up-to-date database. */
    public static MigrateResult apply(DataSource dataSource) {
        return migrate(Flyway.configure().dataSource(dataSource));
    }

    /**
     * Brings the tables in database schema {@code schema} (created when missing) to the newest
     * version, history table included; the connections' own search path is left alone. The admin
     * tool's replay rebuilds into a schema of its own this way.
     */
    public static MigrateResult apply(DataSource dataSource, String schema) {
        return migrate(Flyway.configure().dataSource(dataSource).schemas(schema).defaultSchema(schema));
    }

    private static MigrateResult migrate(org.flywaydb.core.api.configuration.FluentConfiguration configuration) {
        MigrateResult result = configuration
                .locations(LOCATION)
                .table(HISTORY_TABLE)
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .load()
                .migrate();
        LOG.info(
                "sink schema at version {} ({} migration(s) applied)",
                result.targetSchemaVersion == null ? result.initialSchemaVersion : result.targetSchemaVersion,
                result.migrationsExecuted);
        return result;
    }
}
