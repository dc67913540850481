package io.splitguard.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Platform probes against local stub servers standing in for Genesys Cloud and NICE CXone. */
class PlatformConnectivityCheckTest {

    private final AtomicInteger genesysStatus = new AtomicInteger(200);
    private final AtomicInteger genesysHits = new AtomicInteger();
    private HttpServer genesys;
    private HttpServer cxone;

    private HttpServer stub(AtomicInteger status, AtomicInteger hits) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            hits.incrementAndGet();
            exchange.sendResponseHeaders(status.get(), -1);
            exchange.close();
        });
        server.start();
        return server;
    }

    private static URI uri(HttpServer server) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/api/v2/health");
    }

    @AfterEach
    void stopStubs() {
        if (genesys != null) {
            genesys.stop(0);
        }
        if (cxone != null) {
            cxone.stop(0);
        }
    }

    private PlatformConnectivityCheck check(Map<String, URI> probes) {
        HealthSettings settings = HealthSettings.fromEnv(Map.of(
                HealthSettings.PLATFORM_PROBES,
                String.join(
                        ",",
                        probes.entrySet().stream()
                                .map(e -> e.getKey() + "=" + e.getValue())
                                .toList()),
                HealthSettings.BREAKER_OPEN_WAIT,
                "PT1H",
                HealthSettings.TIMEOUT,
                "PT5S"));
        return PlatformConnectivityCheck.create(settings, new SimpleMeterRegistry())
                .orElseThrow();
    }

    @Test
    void shouldBeHealthyWithALatencyPerPlatformWhenEveryPlatformAnswers() throws Exception {
        genesys = stub(genesysStatus, genesysHits);
        cxone = stub(new AtomicInteger(401), new AtomicInteger());
        Map<String, URI> probes = new LinkedHashMap<>();
        probes.put("genesys_cloud", uri(genesys));
        probes.put("cxone", uri(cxone));

        ComponentHealth health = check(probes).check();

        assertThat(health.status()).isEqualTo(ComponentHealth.Status.HEALTHY);
        assertThat(health.details()).containsKeys("genesys_cloud_latency_ms", "cxone_latency_ms");
        assertThat((Long) health.details().get("genesys_cloud_latency_ms")).isNotNegative();
        @SuppressWarnings("unchecked")
        Map<String, Object> cx =
                (Map<String, Object>) ((Map<String, Object>) health.details().get("platforms")).get("cxone");
        assertThat(cx).containsEntry("http_status", 401).containsEntry("status", "healthy");
        assertThat(genesysHits.get()).isEqualTo(1);
    }

    @Test
    void shouldBeUnhealthyAndOpenTheBreakerAfterThreeFailuresWhenAPlatformIsDown() throws Exception {
        genesys = stub(genesysStatus, genesysHits);
        cxone = stub(new AtomicInteger(200), new AtomicInteger());
        Map<String, URI> probes = new LinkedHashMap<>();
        probes.put("genesys_cloud", uri(genesys));
        probes.put("cxone", uri(cxone));
        PlatformConnectivityCheck check = check(probes);
        genesysStatus.set(503);

        ComponentHealth first = check.check();
        assertThat(first.status()).isEqualTo(ComponentHealth.Status.UNHEALTHY);
        assertThat(first.details())
                .doesNotContainKey("genesys_cloud_latency_ms")
                .containsKey("cxone_latency_ms");
        check.check();
        check.check();
        assertThat(check.breaker("genesys_cloud").getState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(check.breaker("cxone").getState()).isEqualTo(CircuitBreaker.State.CLOSED);

        ComponentHealth open = check.check();
        assertThat(genesysHits.get()).as("an open breaker probes nothing").isEqualTo(3);
        assertThat(open.status()).isEqualTo(ComponentHealth.Status.UNHEALTHY);
        assertThat(open.details().get("platforms").toString()).contains("circuit breaker open");
    }

    @Test
    void shouldBeUnhealthyWhenAPlatformRefusesConnections() throws Exception {
        genesys = stub(genesysStatus, genesysHits);
        URI gone = uri(genesys);
        genesys.stop(0);
        genesys = null;

        ComponentHealth health = check(Map.of("genesys_cloud", gone)).check();

        assertThat(health.status()).isEqualTo(ComponentHealth.Status.UNHEALTHY);
        assertThat(health.details().get("platforms").toString()).contains("ConnectException");
    }

    @Test
    void shouldRefuseAProbeThatIsNotANameUrlPairWhenParsingTheSettings() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> HealthSettings.fromEnv(Map.of(HealthSettings.PLATFORM_PROBES, "genesys")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(HealthSettings.PLATFORM_PROBES);
        assertThat(HealthSettings.probes(List.of("genesys_cloud=https://api.mypurecloud.com", "cxone=http://x:1")))
                .containsOnlyKeys("genesys_cloud", "cxone");
        assertThat(HealthSettings.defaults().reentryChecks()).isEqualTo(3);
        assertThat(HealthSettings.defaults().dbMaxLagMs()).isEqualTo(50);
        assertThat(HealthSettings.defaults().platformProbes()).isEmpty();
    }
}
