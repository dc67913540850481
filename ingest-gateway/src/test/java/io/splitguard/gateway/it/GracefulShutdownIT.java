package io.splitguard.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Stopping a gateway (SIGTERM, a rolling update) lets the requests it has accepted finish with their
 * real answer instead of cutting them off: Micronaut's graceful shutdown drains them first.
 */
@ExtendWith(SharedInfra.class)
class GracefulShutdownIT {

    @Test
    void shouldAnswerARequestInFlightWhileTheGatewayStops() {
        String prefix = SharedInfra.uniqueName("graceful") + ".";
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        TopicCatalog catalog = Fixtures.catalog(prefix);
        Fixtures.bootstrap(bootstrap, catalog);
        // graceful shutdown is on in application.yml; turned off, this test fails (the answer is 503)
        GatewayServer gateway = Fixtures.start(Fixtures.properties(bootstrap, prefix));
        TestHttp http = new TestHttp(gateway.url());
        String token = Fixtures.token("acme", "session:write", "session:read");
        await().atMost(Duration.ofMinutes(1))
                .until(() -> http.get("/health/ready").statusCode() == 200);

        String key = "graceful-" + UUID.randomUUID();
        // no topology runs here: the request waits the whole 3 s for a verdict, then answers 200 without one
        CompletableFuture<HttpResponse<String>> inFlight = http.postAsync(
                Fixtures.UPDATE,
                Fixtures.update(Fixtures.newSession(), "drained", null),
                "Authorization",
                token,
                "Content-Type",
                "application/json",
                "Idempotency-Key",
                key,
                "Prefer",
                "wait=3");
        // durable and now waiting for its verdict
        await().atMost(Duration.ofSeconds(30))
                .until(() -> http.get("/api/v2/idempotency/" + key, "Authorization", token)
                                .statusCode()
                        == 200);
        CompletableFuture<Void> stopped = CompletableFuture.runAsync(gateway::close);

        HttpResponse<String> answer = inFlight.join();
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(Fixtures.json(answer).path("status").asText()).isNotEmpty();
        stopped.join();
    }
}
