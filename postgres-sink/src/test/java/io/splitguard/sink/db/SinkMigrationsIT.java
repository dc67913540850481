package io.splitguard.sink.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.testsupport.SharedInfra;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.api.output.MigrateResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.ds.PGSimpleDataSource;

@ExtendWith(SharedInfra.class)
class SinkMigrationsIT {

    @Test
    void shouldCreateTheTablesOnAnEmptyDatabaseAndDoNothingWhenRunASecondTime() throws Exception {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(SharedInfra.postgres().createDatabase(SharedInfra.uniqueName("migrations")));
        ds.setUser(SharedInfra.postgres().user());
        ds.setPassword(SharedInfra.postgres().password());

        MigrateResult first = SinkMigrations.apply(ds);
        MigrateResult second = SinkMigrations.apply(ds);

        assertThat(first.migrationsExecuted).isEqualTo(4);
        assertThat(second.migrationsExecuted).isZero();
        List<String> tables = new ArrayList<>();
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT table_name FROM information_schema.tables"
                        + " WHERE table_schema = 'public' ORDER BY table_name")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        assertThat(tables)
                .contains(
                        "crm_contact_updates",
                        "idempotency_store",
                        "session_checkpoints",
                        "session_sequences",
                        "sink_dead_letters",
                        "sink_offsets",
                        "sink_refusals",
                        SinkMigrations.HISTORY_TABLE);
    }
}
