package io.splitguard.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class GuardedDataSourceTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-05-15T14:35:00Z"));
    private final CircuitBreaker breaker =
            Breakers.create("database", Breakers.config(Duration.ofSeconds(10), clock), null);
    private final AtomicBoolean up = new AtomicBoolean(true);
    private final AtomicInteger attempts = new AtomicInteger();
    private final Connection connection = (Connection) Proxy.newProxyInstance(
            Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> null);
    private final DataSource pool = (DataSource) Proxy.newProxyInstance(
            DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                if (method.getName().equals("getConnection")) {
                    attempts.incrementAndGet();
                    if (!up.get()) {
                        throw new SQLException("Connection refused", "08001");
                    }
                    return connection;
                }
                return null;
            });
    private final GuardedDataSource guarded = new GuardedDataSource(pool, breaker);

    private void failToConnect() {
        assertThatThrownBy(guarded::getConnection)
                .isInstanceOf(SQLException.class)
                .isNotInstanceOf(GuardedDataSource.BreakerOpen.class);
    }

    @Test
    void shouldRefuseAtOnceWithATransientConnectionErrorWhenThreeConnectionsInARowFailed() throws Exception {
        assertThat(guarded.getConnection()).isSameAs(connection);
        up.set(false);
        failToConnect();
        failToConnect();
        failToConnect();

        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThatThrownBy(guarded::getConnection)
                .isInstanceOf(GuardedDataSource.BreakerOpen.class)
                .hasMessageContaining("circuit breaker 'database' is open")
                .extracting(e -> ((SQLException) e).getSQLState())
                .isEqualTo("08001");
        assertThat(attempts.get()).as("an open breaker does not ask the pool").isEqualTo(4);
    }

    @Test
    void shouldLetOneTrialConnectionThroughAndCloseWhenTheWaitIsOverAndTheDatabaseIsBack() throws Exception {
        up.set(false);
        failToConnect();
        failToConnect();
        failToConnect();
        up.set(true);
        assertThatThrownBy(guarded::getConnection).isInstanceOf(GuardedDataSource.BreakerOpen.class);

        clock.advance(Duration.ofSeconds(11));

        assertThat(guarded.getConnection()).isSameAs(connection);
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(guarded.unwrap(GuardedDataSource.class)).isSameAs(guarded);
    }
}
