package io.splitguard.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The path a machine with only a JDK takes: the server binaries come from the Maven artifact, are
 * unpacked, and a real server runs from them (as root too, as an unprivileged user), durable writes
 * and a crash-stop included.
 */
class BundledPostgresIT {

    @TempDir
    Path temp;

    @Test
    void shouldRunARealServerFromTheBinariesThatComeWithTheBuild() throws Exception {
        try (LocalPostgres pg = LocalPostgres.startBundled(temp, true)) {
            assertThat(pg.binaries().toString()).contains("splitguard-postgres-");
            assertThat(Files.isExecutable(pg.binaries().resolve("postgres"))).isTrue();
            String url = pg.createDatabase("bundled_check");
            try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
                    Statement s = c.createStatement()) {
                s.execute("CREATE TABLE t (id int PRIMARY KEY, v text)");
                s.execute("INSERT INTO t VALUES (1, 'kept')");
            }
            pg.suspend();
            assertThat(pg.isRunning()).isFalse();
            pg.resumeServer();
            try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT v, current_setting('server_version_num')::int FROM t")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("kept");
                assertThat(rs.getInt(2)).isGreaterThanOrEqualTo(170000);
            }
        }
    }

    @Test
    void shouldUnpackOnceAndReuseTheDirectory() {
        boolean root = "root".equals(System.getProperty("user.name"));
        Path first = BundledPostgres.binaries(root).orElseThrow();
        Path second = BundledPostgres.binaries(root).orElseThrow();
        assertThat(second).isEqualTo(first);
    }
}
