package io.splitguard.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class CompositeHealthTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-05-15T14:35:00Z"));

    private static JsonNode document(HealthReport report) throws Exception {
        return JSON.readTree(report.json());
    }

    @Test
    void shouldServeTheGuidesDocumentWhenEveryComponentIsHealthy() throws Exception {
        try (CompositeHealth health = CompositeHealth.builder()
                .clock(clock)
                .component(CompositeHealth.APPLICATION, () -> ComponentHealth.healthy(Map.of("uptime_seconds", 7)))
                .component(CompositeHealth.KAFKA_QUORUM, () -> ComponentHealth.healthy(Map.of("brokers", 3)))
                .build()) {
            assertThat(health.report().healthy()).as("nothing checked yet").isFalse();
            assertThat(document(health.report())
                            .at("/components/application/error")
                            .asText())
                    .isEqualTo("not checked yet");

            HealthReport report = health.checkNow();

            assertThat(report.httpStatus()).isEqualTo(200);
            JsonNode doc = document(report);
            assertThat(doc.get("status").asText()).isEqualTo("healthy");
            assertThat(doc.get("timestamp").asText()).isEqualTo("2026-05-15T14:35:00Z");
            assertThat(doc.at("/components/application/status").asText()).isEqualTo("healthy");
            assertThat(doc.at("/components/application/uptime_seconds").asInt()).isEqualTo(7);
            assertThat(doc.at("/components/application/checked_at").asText()).isEqualTo("2026-05-15T14:35:00Z");
            assertThat(doc.at("/components/application/duration_ms").isNumber()).isTrue();
            assertThat(doc.at("/components/kafka_quorum/brokers").asInt()).isEqualTo(3);
        }
    }

    @Test
    void shouldBeUnhealthyWhenAnyComponentIsDegradedOrUnhealthy() throws Exception {
        AtomicReference<ComponentHealth> kafka = new AtomicReference<>(ComponentHealth.degraded(Map.of("lag", 9)));
        try (CompositeHealth health = CompositeHealth.builder()
                .clock(clock)
                .reentryChecks(1)
                .component(CompositeHealth.APPLICATION, () -> ComponentHealth.healthy(Map.of()))
                .component(CompositeHealth.KAFKA_QUORUM, kafka::get)
                .build()) {
            HealthReport degraded = health.checkNow();
            assertThat(degraded.httpStatus()).isEqualTo(503);
            assertThat(document(degraded).get("status").asText()).isEqualTo("unhealthy");
            assertThat(document(degraded).at("/components/kafka_quorum/status").asText())
                    .isEqualTo("degraded");
            assertThat(document(degraded).at("/components/application/status").asText())
                    .isEqualTo("healthy");

            kafka.set(ComponentHealth.unhealthy("no broker reachable"));
            assertThat(health.checkNow().httpStatus()).isEqualTo(503);

            kafka.set(ComponentHealth.healthy(Map.of()));
            assertThat(health.checkNow().httpStatus()).isEqualTo(200);
        }
    }

    @Test
    void shouldReenterOnlyAfterThreeConsecutiveHealthyChecksWhenAComponentFailed() throws Exception {
        AtomicReference<ComponentHealth> db = new AtomicReference<>(ComponentHealth.healthy(Map.of()));
        try (CompositeHealth health = CompositeHealth.builder()
                .clock(clock)
                .component(CompositeHealth.DATABASE_REPLICATION, db::get)
                .build()) {
            assertThat(health.checkNow().healthy())
                    .as("first check: no failure to recover from")
                    .isTrue();

            db.set(ComponentHealth.unhealthy("database does not answer"));
            assertThat(health.checkNow().healthy()).isFalse();

            db.set(ComponentHealth.healthy(Map.of()));
            HealthReport first = health.checkNow();
            assertThat(first.healthy()).isFalse();
            assertThat(document(first)
                            .at("/components/database_replication/status")
                            .asText())
                    .isEqualTo("degraded");
            assertThat(document(first)
                            .at("/components/database_replication/recovering")
                            .asText())
                    .isEqualTo("1/3 healthy checks");
            assertThat(health.checkNow().healthy()).as("second healthy check").isFalse();

            db.set(ComponentHealth.unhealthy("blip"));
            assertThat(health.checkNow().healthy()).isFalse();
            db.set(ComponentHealth.healthy(Map.of()));
            assertThat(health.checkNow().healthy())
                    .as("a failure starts the count again")
                    .isFalse();
            assertThat(health.checkNow().healthy()).isFalse();

            HealthReport third = health.checkNow();
            assertThat(third.healthy()).as("third consecutive healthy check").isTrue();
            assertThat(document(third)
                            .at("/components/database_replication/recovering")
                            .isMissingNode())
                    .isTrue();
        }
    }

    @Test
    void shouldReportUnhealthyWithTheReasonWhenACheckThrows() throws Exception {
        try (CompositeHealth health = CompositeHealth.builder()
                .clock(clock)
                .component(CompositeHealth.STREAMS, () -> {
                    throw new IllegalStateException("store closed");
                })
                .build()) {
            HealthReport report = health.checkNow();

            assertThat(report.healthy()).isFalse();
            assertThat(document(report).at("/components/streams/status").asText())
                    .isEqualTo("unhealthy");
            assertThat(document(report).at("/components/streams/error").asText())
                    .isEqualTo("IllegalStateException: store closed");
        }
    }

    @Test
    void shouldReportUnhealthyAndInterruptTheCheckWhenItOutlivesItsTimeout() throws Exception {
        CountDownLatch interrupted = new CountDownLatch(1);
        try (CompositeHealth health = CompositeHealth.builder()
                .clock(clock)
                .timeout(Duration.ofMillis(200))
                .component(CompositeHealth.PLATFORM_CONNECTIVITY, () -> {
                    try {
                        new CountDownLatch(1).await();
                    } catch (InterruptedException e) {
                        interrupted.countDown();
                        throw e;
                    }
                    return ComponentHealth.healthy(Map.of());
                })
                .build()) {
            HealthReport report = health.checkNow();

            assertThat(report.healthy()).isFalse();
            assertThat(document(report)
                            .at("/components/platform_connectivity/error")
                            .asText())
                    .isEqualTo("check timed out after 200 ms");
            assertThat(interrupted.await(30, java.util.concurrent.TimeUnit.SECONDS))
                    .isTrue();
        }
    }

    @Test
    void shouldRunEachComponentOnItsOwnScheduleWhenStarted() throws Exception {
        AtomicInteger fast = new AtomicInteger();
        AtomicInteger slow = new AtomicInteger();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (CompositeHealth health = CompositeHealth.builder()
                .clock(clock)
                .meterRegistry(registry)
                .interval(Duration.ofHours(1))
                .component(
                        "fast",
                        () -> ComponentHealth.healthy(Map.of("runs", fast.incrementAndGet())),
                        Duration.ofMillis(20))
                .component("slow", () -> ComponentHealth.healthy(Map.of("runs", slow.incrementAndGet())))
                .start()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> fast.get() >= 5);

            assertThat(slow.get()).as("the slow one runs once an hour").isEqualTo(1);
            await().atMost(Duration.ofSeconds(30)).until(health::isHealthy);
            assertThat(registry.get("splitguard.health.status").gauge().value()).isEqualTo(1.0);
            assertThat(registry.get("splitguard.health.component.status")
                            .tag("component", "fast")
                            .gauge()
                            .value())
                    .isEqualTo(1.0);
        }
    }
}
