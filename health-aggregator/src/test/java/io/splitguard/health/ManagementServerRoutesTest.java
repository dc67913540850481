package io.splitguard.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpHandler;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.splitguard.testsupport.TestHttp;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Extra GET routes a service adds to its management port. */
class ManagementServerRoutesTest {

    private static ManagementServer start(Map<String, HttpHandler> routes) throws Exception {
        return ManagementServer.start(
                0,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                Map.of("process", () -> Health.up(Map.of())),
                Map.of(),
                null,
                routes);
    }

    private static final HttpHandler ECHO = exchange -> {
        byte[] body = exchange.getRequestURI().toString().getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    };

    @Test
    void shouldServeEveryPathUnderARoutesPrefixBesideTheBuiltInPathsWhenRoutesAreGiven() throws Exception {
        try (ManagementServer server = start(Map.of("/internal/things/", ECHO))) {
            TestHttp http = TestHttp.localhost(server.port());

            HttpResponse<String> thing = http.get("/internal/things/a%20b?x=1");

            assertThat(thing.statusCode()).isEqualTo(200);
            assertThat(thing.body()).isEqualTo("/internal/things/a%20b?x=1");
            assertThat(http.get("/health/live").statusCode()).isEqualTo(200);
            assertThat(http.get("/internal/other").statusCode()).isEqualTo(404);
            assertThat(http.send("POST", "/internal/things/a", new byte[0]).statusCode())
                    .isEqualTo(405);
        }
    }

    @Test
    void shouldAnswerFromAnotherThreadWhenTheHandlerHandsTheExchangeOn() throws Exception {
        HttpHandler later = exchange -> CompletableFuture.runAsync(() -> {
            try {
                ECHO.handle(exchange);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try (ManagementServer server = start(Map.of("/internal/later/", later))) {
            HttpResponse<String> r = TestHttp.localhost(server.port()).get("/internal/later/x");

            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("/internal/later/x");
        }
    }

    @Test
    void shouldAnswer500WhenTheHandlerThrows() throws Exception {
        HttpHandler broken = exchange -> {
            throw new IllegalStateException("boom");
        };
        try (ManagementServer server = start(Map.of("/internal/broken/", broken))) {
            assertThat(TestHttp.localhost(server.port())
                            .get("/internal/broken/x")
                            .statusCode())
                    .isEqualTo(500);
        }
    }

    @Test
    void shouldRefuseARouteWhenItShadowsABuiltInPath() {
        assertThatThrownBy(() -> start(Map.of("/health/extra", ECHO))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> start(Map.of("/metrics", ECHO))).isInstanceOf(IllegalArgumentException.class);
    }
}
