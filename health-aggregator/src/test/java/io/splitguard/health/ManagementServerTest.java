package io.splitguard.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.splitguard.testsupport.TestHttp;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ManagementServerTest {

    private static HttpResponse<String> get(ManagementServer server, String path) {
        return TestHttp.localhost(server.port()).get(path);
    }

    @Test
    void shouldAnswerLivenessAndReadinessFromTheirChecksAndServeTheRegistry() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Counter.builder("splitguard.test.events").register(registry).increment(3);
        AtomicBoolean caughtUp = new AtomicBoolean(false);
        try (ManagementServer server = ManagementServer.start(
                0,
                registry,
                Map.of("process", () -> Health.up(Map.of("threads", 1))),
                Map.of("caught_up", () -> caughtUp.get() ? Health.up(Map.of()) : Health.down(Map.of("lag", 7))))) {

            assertThat(get(server, "/health/live").statusCode()).isEqualTo(200);
            HttpResponse<String> notReady = get(server, "/health/ready");
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body())
                    .contains("\"status\":\"DOWN\"")
                    .contains("\"caught_up\":{\"status\":\"DOWN\",\"details\":{\"lag\":7}}")
                    .contains("\"process\":{\"status\":\"UP\"");

            caughtUp.set(true);
            assertThat(get(server, "/health/ready").statusCode()).isEqualTo(200);

            HttpResponse<String> metrics = get(server, "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("splitguard_test_events_total 3.0");
            assertThat(get(server, "/nothing").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void shouldReportACheckThatThrowsAsDown() throws Exception {
        try (ManagementServer server = ManagementServer.start(
                0,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                Map.of("broken", () -> {
                    throw new IllegalStateException("store closed");
                }),
                Map.of())) {
            HttpResponse<String> live = get(server, "/health/live");

            assertThat(live.statusCode()).isEqualTo(503);
            assertThat(live.body()).contains("store closed");
        }
    }

    @Test
    void shouldServeTheCompositeHealthAndKeepReadinessInAgreementWhenItChanges() throws Exception {
        java.util.concurrent.atomic.AtomicReference<ComponentHealth> db =
                new java.util.concurrent.atomic.AtomicReference<>(
                        ComponentHealth.unhealthy("database does not answer"));
        try (CompositeHealth composite = CompositeHealth.builder()
                        .reentryChecks(1)
                        .component(CompositeHealth.DATABASE_REPLICATION, db::get)
                        .build();
                ManagementServer server = ManagementServer.start(
                        0,
                        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                        Map.of("process", () -> Health.up(Map.of())),
                        Map.of(),
                        composite)) {
            composite.checkNow();
            HttpResponse<String> sick = get(server, "/health");
            assertThat(sick.statusCode()).isEqualTo(503);
            assertThat(sick.body())
                    .startsWith("{\"status\":\"unhealthy\"")
                    .contains(
                            "\"database_replication\":{\"status\":\"unhealthy\",\"error\":\"database does not answer\"");
            assertThat(get(server, "/health/ready").statusCode()).isEqualTo(503);
            assertThat(get(server, "/health/live").statusCode())
                    .as("a dependency down is no reason to restart")
                    .isEqualTo(200);

            db.set(ComponentHealth.healthy(Map.of("mode", "standalone")));
            composite.checkNow();
            HttpResponse<String> well = get(server, "/health");
            assertThat(well.statusCode()).isEqualTo(200);
            assertThat(well.body()).contains("\"mode\":\"standalone\"");
            assertThat(get(server, "/health/ready").statusCode()).isEqualTo(200);
            assertThat(get(server, "/health/other").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void shouldTurnNaglesAlgorithmOffForTheConnectionsItAcceptsWhenNothingElseSaysSo() throws Exception {
        // the JDK server reads the property once, when its first server is created: the management
        // server must have set it by then, or every answer on a kept-alive connection waits ~40 ms
        try (ManagementServer server =
                ManagementServer.start(0, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Map.of(), Map.of())) {
            assertThat(System.getProperty(ManagementServer.NODELAY)).isEqualTo("true");
            assertThat(get(server, "/health/live").statusCode()).isEqualTo(200);
        }
    }
}
