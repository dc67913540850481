package io.splitguard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.splitguard.infra.EmbeddedKafka;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** With Kafka gone the gateway answers 503 and never 2xx; once Kafka is back, nothing acknowledged is missing. */
@ExtendWith(SharedInfra.class)
class KafkaOutageIT {

    @TempDir
    Path dir;

    @Test
    void shouldAnswer503WhileKafkaIsDownAndLoseNothingOnceItIsBack() throws Exception {
        String name = SharedInfra.uniqueName("outage");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0)) {
            TopicCatalog topics = TopicCatalog.builder()
                    .prefix(name + ".")
                    .sessionPartitions(3)
                    .build();
            try (Admin admin =
                    Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
                TopicBootstrap.ensure(admin, topics, 60_000);
            }
            String jdbcUrl = SharedInfra.newDatabase(name);
            PipelineSettings base =
                    Pipelines.settings(kafka.bootstrapServers(), jdbcUrl, topics, dir.resolve("state"), name);
            try (Pipeline pipeline = Pipeline.start(base);
                    io.splitguard.gateway.app.GatewayServer gateway =
                            io.splitguard.gateway.app.GatewayServer.start(shortTimeouts(base))) {
                GatewayClient client = new GatewayClient(pipeline.token(Duration.ofHours(1), "session:write"));
                for (int i = 0; i < 20; i++) {
                    assertThat(client.post(
                                            gateway.url().toString().replaceAll("/$", ""),
                                            name + "-before-" + i,
                                            GatewayClient.body("s" + (i % 4), i))
                                    .get(30, TimeUnit.SECONDS)
                                    .statusCode())
                            .isEqualTo(200);
                }

                kafka.stop();
                List<HttpResponse<String>> during = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    during.add(client.post(
                                    gateway.url().toString().replaceAll("/$", ""),
                                    name + "-during-" + i,
                                    GatewayClient.body("s" + (i % 4), 100 + i))
                            .get(60, TimeUnit.SECONDS));
                }
                assertThat(during).allSatisfy(r -> {
                    assertThat(r.statusCode()).isEqualTo(503);
                    assertThat(r.headers().firstValue("Retry-After")).isPresent();
                    assertThat(r.headers().firstValue("Content-Type"))
                            .hasValueSatisfying(ct -> assertThat(ct).contains("problem+json"));
                });

                kafka.start();
                List<CompletableFuture<HttpResponse<String>>> retries = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    retries.add(client.deliver(
                            gateway.url().toString().replaceAll("/$", ""),
                            name + "-during-" + i,
                            GatewayClient.body("s" + (i % 4), 100 + i)));
                }
                CompletableFuture.allOf(retries.toArray(CompletableFuture[]::new))
                        .get(3, TimeUnit.MINUTES);

                Database db = new Database(jdbcUrl);
                await().atMost(Duration.ofMinutes(2))
                        .pollInterval(Duration.ofMillis(250))
                        .until(() -> db.count("crm_contact_updates") >= 30);
                assertThat(db.count("crm_contact_updates")).isEqualTo(30);
                assertThat(db.queryLong("select count(*) from crm_contact_updates where idempotency_key like '" + name
                                + "-before-%'"))
                        .isEqualTo(20);
            }
        }
    }

    private static Map<String, Object> shortTimeouts(PipelineSettings settings) {
        Map<String, Object> props = new HashMap<>(Pipelines.gatewayProperties(settings));
        props.put("splitguard.gateway.delivery-timeout", "3s");
        return props;
    }
}
