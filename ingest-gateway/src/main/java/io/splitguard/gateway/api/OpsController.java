package io.splitguard.gateway.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.rules.SecurityRule;
import io.splitguard.gateway.idempotency.IdempotencyCache;
import io.splitguard.gateway.kafka.GatewayHealth;
import io.splitguard.gateway.kafka.Readiness;
import io.splitguard.health.HealthReport;
import io.splitguard.schemas.json.Json;

/** Unauthenticated endpoints for orchestrators and scrapers: composite health, liveness, readiness, Prometheus metrics. */
@Controller
@Secured(SecurityRule.IS_ANONYMOUS)
public class OpsController {

    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final Readiness readiness;
    private final PrometheusMeterRegistry prometheus;
    private final GatewayHealth health;

    public OpsController(Readiness readiness, PrometheusMeterRegistry prometheus, GatewayHealth health) {
        this.readiness = readiness;
        this.prometheus = prometheus;
        this.health = health;
    }

    /**
     * The composite health document (application, kafka_quorum, database_replication when the lookup has
     * a database, platform_connectivity when probes are configured): the last scheduled evaluation,
     * 200 when healthy, 503 otherwise; re-entry after 3 consecutive healthy checks.
     */
    @Get(uri = "/health", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<byte[]> health() {
        HealthReport report = health.report();
        return HttpResponse.<byte[]>status(HttpStatus.valueOf(report.httpStatus()))
                .body(report.json())
                .contentType(MediaType.APPLICATION_JSON_TYPE);
    }

    @Get(uri = "/health/live", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<byte[]> live() {
        ObjectNode body = Json.mapper().createObjectNode().put("status", "UP");
        return HttpResponse.ok(IdempotencyCache.bytes(body)).contentType(MediaType.APPLICATION_JSON_TYPE);
    }

    @Get(uri = "/health/ready", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<byte[]> ready() {
        boolean metadata = readiness.kafkaMetadata();
        boolean caughtUp = readiness.outcomesCaughtUp();
        boolean listening = !readiness.outcomesFailing();
        boolean healthy = health.writePathHealthy();
        ObjectNode checks = Json.mapper().createObjectNode();
        checks.put("kafka_metadata", metadata);
        checks.put("outcomes_caught_up", caughtUp);
        checks.put("outcomes_listening", listening);
        checks.put("health", healthy);
        if (metadata && caughtUp && listening && healthy) {
            ObjectNode body = Json.mapper().createObjectNode().put("status", "UP");
            body.set("checks", checks);
            return HttpResponse.ok(IdempotencyCache.bytes(body)).contentType(MediaType.APPLICATION_JSON_TYPE);
        }
        return Problem.of(
                        "not-ready",
                        HttpStatus.SERVICE_UNAVAILABLE,
                        "Not ready",
                        "Kafka is not reachable, the idempotency outcomes are still loading or cannot be read, or"
                                + " GET /health reports the application or the Kafka quorum unhealthy.")
                .withInstance("/health/ready")
                .with("checks", checks)
                .toResponse();
    }

    @Get(uri = "/metrics", produces = PROMETHEUS_TEXT)
    public HttpResponse<String> metrics() {
        return HttpResponse.ok(prometheus.scrape()).contentType(PROMETHEUS_TEXT);
    }
}
