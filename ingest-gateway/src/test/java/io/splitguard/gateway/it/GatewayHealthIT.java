package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway's composite {@code GET /health}: real checks against the broker and a platform stub,
 * 503 as soon as a component fails, 200 again only after 3 consecutive healthy checks; readiness
 * follows the components writes need.
 */
@ExtendWith(SharedInfra.class)
class GatewayHealthIT {

    @Test
    void shouldTurnUnhealthyWhenAPlatformIsDownAndComeBackOnlyAfterThreeHealthyChecks() throws Exception {
        String prefix = SharedInfra.uniqueName("gwhealth") + ".";
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        TopicCatalog catalog = Fixtures.catalog(prefix);
        Fixtures.bootstrap(bootstrap, catalog);
        HttpServer genesys = stub(0);
        int stubPort = genesys.getAddress().getPort();
        Map<String, Object> properties = Fixtures.properties(bootstrap, prefix);
        properties.put("splitguard.health.check.interval", "PT0.3S");
        properties.put("splitguard.health.platform.probes", "genesys=http://127.0.0.1:" + stubPort + "/status");
        GatewayServer gateway = Fixtures.start(properties);
        try {
            TestHttp http = new TestHttp(gateway.url());
            await().atMost(Duration.ofMinutes(1))
                    .until(() -> http.get("/health").statusCode() == 200);
            JsonNode healthy = Fixtures.json(http.get("/health"));
            assertThat(healthy.path("status").asText()).isEqualTo("healthy");
            assertThat(healthy.path("components")
                            .path("application")
                            .path("status")
                            .asText())
                    .isEqualTo("healthy");
            assertThat(healthy.path("components")
                            .path("kafka_quorum")
                            .path("status")
                            .asText())
                    .isEqualTo("healthy");
            assertThat(healthy.path("components")
                            .path("platform_connectivity")
                            .path("status")
                            .asText())
                    .isEqualTo("healthy");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> http.get("/health/ready").statusCode() == 200);

            genesys.stop(0);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> http.get("/health").statusCode() == 503);
            HttpResponse<String> down = http.get("/health");
            assertThat(Fixtures.json(down).path("status").asText()).isEqualTo("unhealthy");
            assertThat(Fixtures.json(down)
                            .path("components")
                            .path("platform_connectivity")
                            .path("status")
                            .asText())
                    .isNotEqualTo("healthy");
            // writes still reach Kafka: the gateway stays in rotation (readiness follows application and
            // kafka_quorum only; KafkaUnavailableIT shows readiness 503 when Kafka is gone)
            HttpResponse<String> ready = http.get("/health/ready");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(Fixtures.json(ready).path("checks").path("health").asBoolean())
                    .isTrue();
            assertThat(http.get("/health/live").statusCode()).isEqualTo(200);

            genesys = stub(stubPort);
            // on the way back the component reports how many healthy checks it has seen, and the
            // document stays 503 until the third
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> Fixtures.json(http.get("/health"))
                            .path("components")
                            .path("platform_connectivity")
                            .has("recovering"));
            assertThat(http.get("/health").statusCode()).isEqualTo(503);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> http.get("/health").statusCode() == 200);
        } finally {
            gateway.close();
            genesys.stop(0);
        }
    }

    private static HttpServer stub(int port) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext("/status", exchange -> {
            byte[] body = "{\"status\":\"ok\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }
}
