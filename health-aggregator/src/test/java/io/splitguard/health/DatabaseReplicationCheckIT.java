package io.splitguard.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.splitguard.infra.LocalPostgres;
import io.splitguard.testsupport.SharedInfra;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.ds.PGSimpleDataSource;

/** database_replication against a real PostgreSQL: standalone, required or not, stopped and back. */
@ExtendWith(SharedInfra.class)
class DatabaseReplicationCheckIT {

    private static PGSimpleDataSource dataSource(LocalPostgres postgres, String url) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url);
        ds.setUser(postgres.user());
        ds.setPassword(postgres.password());
        ds.setConnectTimeout(2);
        return ds;
    }

    private static DatabaseReplicationCheck check(PGSimpleDataSource ds, boolean required, CircuitBreaker breaker) {
        return new DatabaseReplicationCheck(ds, breaker, required, 50, Duration.ofSeconds(2));
    }

    @Test
    void shouldReportAStandaloneDatabaseHealthyWhenReplicationIsNotRequiredAndUnhealthyWhenItIs() {
        LocalPostgres postgres = SharedInfra.postgres();
        PGSimpleDataSource ds = dataSource(postgres, SharedInfra.newDatabase("replication"));

        ComponentHealth optional = check(ds, false, Breakers.create("db-optional", Duration.ofSeconds(10), null))
                .check();
        assertThat(optional.status()).as(optional.details().toString()).isEqualTo(ComponentHealth.Status.HEALTHY);
        assertThat(optional.details())
                .containsEntry("mode", "standalone")
                .containsEntry("replicas", 0)
                .containsEntry("required", false)
                .containsEntry("max_allowed_lag_ms", 50L);

        ComponentHealth required = check(ds, true, Breakers.create("db-required", Duration.ofSeconds(10), null))
                .check();
        assertThat(required.status()).isEqualTo(ComponentHealth.Status.UNHEALTHY);
        assertThat(required.details())
                .containsEntry("mode", "standalone")
                .containsEntry("error", "replication required but the database is standalone");
    }

    @Test
    void shouldTurnUnhealthyOpenTheBreakerAndRecoverThroughHalfOpenWhenTheDatabaseStopsAndComesBack() throws Exception {
        // a server of its own: stopping the shared one would disturb other tests
        try (LocalPostgres postgres = LocalPostgres.start(Files.createTempDirectory("splitguard-pg-health-"), false)) {
            PGSimpleDataSource ds = dataSource(postgres, postgres.createDatabase("health_probe"));
            MutableClock clock = new MutableClock(Instant.parse("2026-05-15T14:35:00Z"));
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            CircuitBreaker breaker =
                    Breakers.create("database", Breakers.config(Duration.ofSeconds(30), clock), registry);
            DatabaseReplicationCheck check = check(ds, false, breaker);
            assertThat(check.check().isHealthy()).isTrue();

            postgres.suspend();
            for (int i = 1; i <= 3; i++) {
                ComponentHealth down = check.check();
                assertThat(down.status()).isEqualTo(ComponentHealth.Status.UNHEALTHY);
                assertThat((String) down.details().get("error")).startsWith("database does not answer");
            }
            assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
            ComponentHealth open = check.check();
            assertThat(open.details().get("error"))
                    .isEqualTo("circuit breaker open: the database is not called until the wait is over");
            assertThat(open.details().get("circuit_breaker")).isEqualTo(Map.of("state", "open", "failed_calls", 3));
            assertThat(registry.get("splitguard.breaker.state")
                            .tag("state", "open")
                            .gauge()
                            .value())
                    .isEqualTo(1.0);

            postgres.resumeServer();
            assertThat(check.check().details().get("circuit_breaker"))
                    .as("still open until the wait is over, even though the database is back")
                    .isEqualTo(Map.of("state", "open", "failed_calls", 3));
            clock.advance(Duration.ofSeconds(31));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                ComponentHealth back = check.check();
                assertThat(back.status()).as(back.details().toString()).isEqualTo(ComponentHealth.Status.HEALTHY);
                assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
            });
        }
    }

    @Test
    void shouldBeHealthyWithASynchronousStreamingStandbyAndUnhealthyWhenItGoesOrWhenAskedOnTheStandby()
            throws Exception {
        try (LocalPostgres primary =
                LocalPostgres.start(Files.createTempDirectory("splitguard-pg-replicated-"), false)) {
            Assumptions.assumeTrue(primary.canStartStandby(), "these PostgreSQL binaries have no pg_basebackup");
            String url = primary.createDatabase("replicated");
            DatabaseReplicationCheck check = new DatabaseReplicationCheck(
                    dataSource(primary, url),
                    Breakers.create("db-replicated", Duration.ofSeconds(10), null),
                    true,
                    // a generous bound: this is about the standby's presence and state, not this machine's speed
                    10_000,
                    Duration.ofSeconds(2));
            try (LocalPostgres standby = primary.startStandby(true)) {
                ComponentHealth replicated = check.check();
                assertThat(replicated.status())
                        .as(replicated.details().toString())
                        .isEqualTo(ComponentHealth.Status.HEALTHY);
                assertThat(replicated.details())
                        .containsEntry("mode", "replicated")
                        .containsEntry("replicas", 1)
                        .containsEntry("sync_replicas", 1)
                        .containsKey("replication_lag_ms");

                DatabaseReplicationCheck onStandby = new DatabaseReplicationCheck(
                        dataSource(standby, standby.jdbcUrl("replicated")),
                        Breakers.create("db-on-standby", Duration.ofSeconds(10), null),
                        true,
                        10_000,
                        Duration.ofSeconds(2));
                ComponentHealth wrongServer = onStandby.check();
                assertThat(wrongServer.status()).isEqualTo(ComponentHealth.Status.UNHEALTHY);
                assertThat(wrongServer.details())
                        .containsEntry("mode", "standby")
                        .containsEntry("error", "connected to a standby in recovery, not to the primary");
            }
            // the standby is stopped: the primary no longer replicates
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                ComponentHealth alone = check.check();
                assertThat(alone.status()).isEqualTo(ComponentHealth.Status.UNHEALTHY);
                assertThat(alone.details())
                        .containsEntry("mode", "standalone")
                        .containsEntry("error", "replication required but the database is standalone");
            });
        }
    }
}
