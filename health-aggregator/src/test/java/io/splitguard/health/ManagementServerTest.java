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
}
