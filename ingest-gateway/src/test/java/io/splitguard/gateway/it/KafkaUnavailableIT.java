package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.testsupport.TestHttp;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** With Kafka unreachable the gateway answers 503 with Retry-After, never 2xx, and remembers nothing. */
class KafkaUnavailableIT {

    private static GatewayServer gateway;
    private static TestHttp http;

    @BeforeAll
    static void start() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        Map<String, Object> properties = Fixtures.properties("127.0.0.1:" + closedPort, "unreachable.");
        properties.put("splitguard.gateway.delivery-timeout", "2s");
        gateway = Fixtures.start(properties);
        http = new TestHttp(gateway.url());
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void shouldAnswer503AndForgetTheKeyWhenTheProduceFails() {
        String key = "down-" + UUID.randomUUID();
        byte[] body = Fixtures.update(Fixtures.newSession(), "nowhere", null);
        String token = Fixtures.token("acme", "session:write", "session:read");

        for (int attempt = 0; attempt < 2; attempt++) {
            // the second attempt would be 409 or a replay if the first had been remembered
            HttpResponse<String> r = http.post(
                    Fixtures.UPDATE,
                    body,
                    "Authorization",
                    token,
                    "Content-Type",
                    "application/json",
                    "Idempotency-Key",
                    key);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            assertThat(r.headers().firstValue("Retry-After")).isPresent();
            assertThat(r.headers().firstValue("Content-Type")).get().asString().startsWith("application/problem+json");
            // never handed to a broker: the answer says nothing was recorded
            assertThat(Fixtures.json(r).path("outcome").asText()).isEqualTo("not_recorded");
        }
        // the key was forgotten, so another body under it is not refused either
        HttpResponse<String> other = http.post(
                Fixtures.UPDATE,
                Fixtures.update(Fixtures.newSession(), "elsewhere", null),
                "Authorization",
                token,
                "Content-Type",
                "application/json",
                "Idempotency-Key",
                key);
        assertThat(other.statusCode()).as(other.body()).isEqualTo(503);
        assertThat(http.get("/api/v2/idempotency/" + key, "Authorization", token)
                        .statusCode())
                .isEqualTo(404);
        assertThat(http.get("/health/ready").statusCode()).isEqualTo(503);
        assertThat(http.get("/health/live").statusCode()).isEqualTo(200);
    }
}
