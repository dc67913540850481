package io.splitguard.launcher.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.gateway.security.DevTokens;
import io.splitguard.health.ManagementServer;
import io.splitguard.launcher.Pipeline;
import io.splitguard.launcher.PipelineSettings;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.sink.PostgresSink;
import io.splitguard.sink.app.SinkMain;
import io.splitguard.sink.config.SinkConfig;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import io.splitguard.topology.app.DedupMain;
import io.splitguard.topology.app.DedupStreams;
import io.splitguard.topology.config.DedupConfig;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric the Grafana dashboard (deploy/grafana) queries is served by the service whose row it
 * is on. The three services run as their processes run them, on the in-JVM broker and a real
 * PostgreSQL: the sink and the topology with their management ports ({@link SinkMain#serve},
 * {@link DedupMain#serve}), the gateway with its own {@code /metrics}. A few updates (one of them
 * delivered twice) go through the whole pipeline before the three endpoints are scraped.
 */
@ExtendWith(SharedInfra.class)
class DashboardMetricsIT {

    private static final String SECRET = "dashboard-secret-dashboard-secret-0123456789";
    private static final int UPDATES = 5;
    private static final Path SCRAPES = Path.of("target", "dashboard-metrics");

    @TempDir
    Path stateDir;

    @Test
    void shouldServeEveryMetricTheDashboardQueries() throws Exception {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String name = SharedInfra.uniqueName("dashboard");
        TopicCatalog topics =
                TopicCatalog.builder().prefix(name + ".").sessionPartitions(2).build();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        String jdbcUrl = SharedInfra.newDatabase(name);
        PipelineSettings settings = new PipelineSettings(
                bootstrap,
                jdbcUrl,
                "postgres",
                "",
                topics,
                stateDir,
                0,
                SECRET,
                name + "-dedup",
                name + "-sink",
                Duration.ofMillis(100),
                Map.of());

        Map<String, String> sinkEnv = new HashMap<>();
        sinkEnv.put(SinkConfig.ENV_BOOTSTRAP_SERVERS, bootstrap);
        sinkEnv.put(SinkConfig.ENV_DATABASE_URL, jdbcUrl);
        sinkEnv.put(SinkConfig.ENV_DATABASE_USER, "postgres");
        sinkEnv.put(SinkConfig.ENV_DATABASE_PASSWORD, "");
        sinkEnv.put(SinkConfig.ENV_GROUP_ID, settings.sinkGroupId());
        PrometheusMeterRegistry sinkRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Map<String, String> topologyEnv = Map.of(
                CommonSettings.BOOTSTRAP_SERVERS,
                bootstrap,
                DedupConfig.APPLICATION_ID,
                settings.dedupApplicationId(),
                DedupConfig.STATE_DIR,
                stateDir.toString(),
                DedupConfig.COMMIT_INTERVAL_MS,
                "100");

        try (PostgresSink sink = new PostgresSink(SinkConfig.fromMap(sinkEnv), topics, sinkRegistry);
                ManagementServer sinkManagement = SinkMain.serve(sink, sinkRegistry, 0)) {
            sink.start();
            DedupStreams streams =
                    DedupStreams.start(DedupConfig.fromEnv(topologyEnv, topics.deadLetters.name()), topics);
            Map<String, Object> gatewayProperties = new HashMap<>(Pipeline.gatewayProperties(settings));
            gatewayProperties.put("micronaut.server.port", -1);
            try (streams;
                    ManagementServer topologyManagement = DedupMain.serve(streams, 0);
                    GatewayServer gateway = GatewayServer.start(gatewayProperties)) {
                TestHttp gatewayHttp = TestHttp.localhost(gateway.port());
                Map<ServiceKind, TestHttp> endpoints = new EnumMap<>(ServiceKind.class);
                endpoints.put(ServiceKind.GATEWAY, gatewayHttp);
                endpoints.put(ServiceKind.TOPOLOGY, TestHttp.localhost(topologyManagement.port()));
                endpoints.put(ServiceKind.SINK, TestHttp.localhost(sinkManagement.port()));
                for (TestHttp endpoint : endpoints.values()) {
                    await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> assertThat(
                                    endpoint.get(ServiceFacts.READY).statusCode())
                            .as(endpoint.base() + ServiceFacts.READY)
                            .isEqualTo(200));
                }

                String token = DevTokens.mint(
                        SECRET, "default", List.of("session:write", "session:read"), Duration.ofHours(1));
                for (int i = 0; i < UPDATES; i++) {
                    assertThat(post(gatewayHttp, token, name + "-key-" + i, i).statusCode())
                            .isEqualTo(200);
                }
                assertThat(post(gatewayHttp, token, name + "-key-0", 0)
                                .headers()
                                .firstValue("Idempotent-Replayed"))
                        .contains("true");
                await().atMost(Duration.ofMinutes(1)).until(() -> rows(jdbcUrl) == UPDATES);

                String dashboard = GrafanaDashboard.read();
                Map<ServiceKind, Set<String>> queried = GrafanaDashboard.metricsByService(dashboard);
                assertThat(queried).containsOnlyKeys(ServiceKind.GATEWAY, ServiceKind.TOPOLOGY, ServiceKind.SINK);
                Files.createDirectories(SCRAPES);
                for (Map.Entry<ServiceKind, TestHttp> endpoint : endpoints.entrySet()) {
                    ServiceKind kind = endpoint.getKey();
                    // Micrometer binds Kafka client and Streams meters that appear later (per topic, per
                    // partition) on its next look, once a minute: scrape until all are there
                    await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> {
                        String scrape =
                                endpoint.getValue().get(ServiceFacts.METRICS).body();
                        Files.writeString(SCRAPES.resolve(kind.module + ".prom"), scrape);
                        assertThat(queried.get(kind))
                                .as("metrics the dashboard queries for " + kind.module + " that its /metrics lacks"
                                        + " (scrape in target/dashboard-metrics)")
                                .allSatisfy(metric -> assertThat(PrometheusText.has(scrape, metric))
                                        .as(metric)
                                        .isTrue());
                    });
                }
            }
        }
    }

    private static HttpResponse<String> post(TestHttp gateway, String token, String key, int n) {
        String body = "{\"session_id\":\"session-" + (n % 2) + "\",\"contact_id\":\"cust_" + n + "\","
                + "\"operation\":\"UPDATE_NOTES\",\"payload\":{\"interaction_type\":\"voice\",\"agent_id\":\"agent_1\","
                + "\"notes\":\"note " + n + "\",\"timestamp\":\"2024-05-15T14:32:00Z\"}}";
        return gateway.post(
                "/api/v2/integrations/crm/contact/update",
                body,
                "Authorization",
                "Bearer " + token,
                "Content-Type",
                "application/json",
                "Idempotency-Key",
                key);
    }

    private static long rows(String jdbcUrl) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "");
                ResultSet rs = c.createStatement().executeQuery("select count(*) from crm_contact_updates")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
