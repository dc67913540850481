package io.splitguard.sink;

import static io.splitguard.sink.SinkTestKit.sessionRun;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.splitguard.health.ManagementServer;
import io.splitguard.sink.app.SinkMain;
import io.splitguard.sink.config.SinkConfig;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The sink process's management port: readiness follows whether batches commit; metrics are scraped. */
@ExtendWith(SharedInfra.class)
class SinkManagementIT {

    private static HttpResponse<String> get(ManagementServer server, String path) {
        return TestHttp.localhost(server.port()).get(path);
    }

    @Test
    void shouldBeReadyWhileBatchesCommitAndSayWhyNotWhileTheDatabaseRefusesThem() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (SinkTestKit kit = new SinkTestKit("management", env -> env.put(SinkConfig.ENV_RETRY_BACKOFF_MAX, "200"))) {
            PostgresSink sink = kit.startSink(registry);
            try (ManagementServer server = SinkMain.serve(sink, registry, 0)) {
                kit.commit(sessionRun("sess-m", 1, 5));
                kit.awaitRows("crm_contact_updates", 5);
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                                get(server, "/health/ready").statusCode())
                        .isEqualTo(200));
                assertThat(get(server, "/metrics").body())
                        .contains("splitguard_sink_batches_total")
                        .contains("splitguard_sink_refused")
                        .contains("kafka_consumer_");

                kit.execute("ALTER TABLE idempotency_store RENAME TO idempotency_store_parked");
                kit.commit(sessionRun("sess-m", 6, 8));
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    HttpResponse<String> ready = get(server, "/health/ready");
                    assertThat(ready.statusCode()).isEqualTo(503);
                    assertThat(ready.body()).contains("SQLState 42P01");
                });
                assertThat(get(server, "/health/live").statusCode())
                        .as("retrying is not dead")
                        .isEqualTo(200);

                kit.execute("ALTER TABLE idempotency_store_parked RENAME TO idempotency_store");
                kit.awaitRows("crm_contact_updates", 8);
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                                get(server, "/health/ready").statusCode())
                        .isEqualTo(200));

                sink.close();
                assertThat(get(server, "/health/ready").statusCode()).isEqualTo(503);
            }
        }
    }
}
