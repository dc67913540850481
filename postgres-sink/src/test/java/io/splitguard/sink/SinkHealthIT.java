package io.splitguard.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.splitguard.health.HealthSettings;
import io.splitguard.health.ManagementServer;
import io.splitguard.infra.LocalPostgres;
import io.splitguard.sink.app.SinkMain;
import io.splitguard.sink.config.SinkConfig;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The sink's composite {@code /health} against a real broker and a PostgreSQL of its own: stopping
 * the database turns it 503 within a check interval and opens the breaker; after the restart it
 * answers 200 only once the database passed 3 consecutive checks.
 */
@ExtendWith(SharedInfra.class)
class SinkHealthIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static HttpResponse<String> get(ManagementServer server, String path) {
        return TestHttp.localhost(server.port()).get(path);
    }

    private static JsonNode health(ManagementServer server) throws Exception {
        return JSON.readTree(get(server, "/health").body());
    }

    @Test
    void shouldTurn503WhenPostgresStopsAndComeBackOnlyAfterThreeHealthyChecksWhenItReturns() throws Exception {
        try (LocalPostgres postgres =
                LocalPostgres.start(Files.createTempDirectory("splitguard-pg-sink-health-"), false)) {
            String url = postgres.createDatabase("sink_health");
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            try (SinkTestKit kit = new SinkTestKit("sink-health", env -> {
                env.put(SinkConfig.ENV_DATABASE_URL, url);
                env.put(SinkConfig.ENV_DATABASE_USER, postgres.user());
                env.put(SinkConfig.ENV_DATABASE_PASSWORD, postgres.password());
            })) {
                // the database breaker sits on the sink's pool: its writes and its health share it
                PostgresSink sink = new PostgresSink(kit.config, kit.catalog, registry, Duration.ofSeconds(1));
                sink.start();
                HealthSettings settings = HealthSettings.fromEnv(Map.of(
                        HealthSettings.INTERVAL, "PT0.3S",
                        HealthSettings.TIMEOUT, "PT3S",
                        HealthSettings.BREAKER_OPEN_WAIT, "PT1S"));
                try (sink;
                        ManagementServer server = SinkMain.serve(sink, registry, 0, settings, Clock.systemUTC())) {
                    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                        HttpResponse<String> ok = get(server, "/health");
                        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
                    });
                    JsonNode doc = health(server);
                    assertThat(doc.get("components").fieldNames())
                            .toIterable()
                            .containsExactly("application", "kafka_quorum", "database_replication");
                    assertThat(doc.at("/components/database_replication/mode").asText())
                            .isEqualTo("standalone");
                    assertThat(doc.at("/components/database_replication/circuit_breaker/state")
                                    .asText())
                            .isEqualTo("closed");
                    // mutations and checkpoints read, audit written
                    assertThat(doc.at("/components/kafka_quorum/topics").asInt())
                            .isEqualTo(3);

                    postgres.suspend();
                    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                        assertThat(get(server, "/health").statusCode()).isEqualTo(503);
                        assertThat(get(server, "/health/ready").statusCode()).isEqualTo(503);
                    });
                    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                        JsonNode down = health(server);
                        assertThat(down.at("/components/database_replication/status")
                                        .asText())
                                .isEqualTo("unhealthy");
                        assertThat(down.at("/components/database_replication/circuit_breaker/state")
                                        .asText())
                                .isIn("open", "half_open");
                        assertThat(get(server, "/metrics").body())
                                .contains(
                                        "splitguard_breaker_calls_total{name=\"database\",outcome=\"not_permitted\"}");
                    });
                    assertThat(get(server, "/metrics").body())
                            .doesNotContain(
                                    "splitguard_breaker_calls_total{name=\"database\",outcome=\"not_permitted\"} 0.0");

                    // watch every evaluation from here on: 503 must hold until 3 healthy database checks
                    List<String> seen = new CopyOnWriteArrayList<>();
                    ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor();
                    try {
                        watcher.scheduleWithFixedDelay(
                                () -> {
                                    try {
                                        HttpResponse<String> response = get(server, "/health");
                                        JsonNode db =
                                                JSON.readTree(response.body()).at("/components/database_replication");
                                        String entry = db.get("status").asText() + " "
                                                + (db.has("recovering")
                                                        ? db.get("recovering").asText()
                                                        : "-")
                                                + " " + response.statusCode();
                                        if (seen.isEmpty()
                                                || !seen.get(seen.size() - 1).equals(entry)) {
                                            seen.add(entry);
                                        }
                                    } catch (Exception e) {
                                        seen.add("error " + e);
                                    }
                                },
                                0,
                                20,
                                TimeUnit.MILLISECONDS);
                        postgres.resumeServer();
                        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
                                        get(server, "/health").statusCode())
                                .isEqualTo(200));
                        await().atMost(Duration.ofSeconds(30)).until(() -> seen.contains("healthy - 200"));
                    } finally {
                        watcher.shutdownNow();
                        watcher.awaitTermination(10, TimeUnit.SECONDS);
                    }
                    List<String> statuses = new ArrayList<>(seen);
                    assertThat(statuses)
                            .as("what /health said while recovering")
                            .contains("healthy - 200");
                    int first200 = statuses.indexOf("healthy - 200");
                    assertThat(statuses.subList(0, first200))
                            .as("never 200 before the third healthy check")
                            .allMatch(s -> s.endsWith(" 503"));
                    assertThat(statuses.subList(0, first200)).contains("degraded 1/3 healthy checks 503");
                    assertThat(health(server)
                                    .at("/components/database_replication/circuit_breaker/state")
                                    .asText())
                            .isEqualTo("closed");
                    assertThat(sink.dataSource().breaker().getState())
                            .as("the pool's breaker is the one health reports")
                            .isEqualTo(io.github.resilience4j.circuitbreaker.CircuitBreaker.State.CLOSED);
                    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                                    get(server, "/health/ready").statusCode())
                            .as("the sink writes again through the closed breaker")
                            .isEqualTo(200));
                }
            }
        }
    }
}
