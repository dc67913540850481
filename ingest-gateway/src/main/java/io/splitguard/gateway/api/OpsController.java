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
import io.splitguard.gateway.kafka.Readiness;
import io.splitguard.schemas.json.Json;

/** Unauthenticated endpoints for orchestrators and scrapers: liveness, readiness, Prometheus metrics. */
@Controller
@Secured(SecurityRule.IS_ANONYMOUS)
public class OpsController {

    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final Readiness readiness;
    private final PrometheusMeterRegistry prometheus;

    public OpsController(Readiness readiness, PrometheusMeterRegistry prometheus) {
        this.readiness = readiness;
        this.prometheus = prometheus;
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
        ObjectNode checks = Json.mapper().createObjectNode();
        checks.put("kafka_metadata", metadata);
        checks.put("outcomes_caught_up", caughtUp);
        checks.put("outcomes_listening", listening);
        if (metadata && caughtUp && listening) {
            ObjectNode body = Json.mapper().createObjectNode().put("status", "UP");
            body.set("checks", checks);
            return HttpResponse.ok(IdempotencyCache.bytes(body)).contentType(MediaType.APPLICATION_JSON_TYPE);
        }
        return Problem.of(
                        "not-ready",
                        HttpStatus.SERVICE_UNAVAILABLE,
                        "Not ready",
                        "Kafka is not reachable, or the idempotency outcomes are still loading or cannot be read.")
                .withInstance("/health/ready")
                .with("checks", checks)
                .toResponse();
    }

    @Get(uri = "/metrics", produces = PROMETHEUS_TEXT)
    public HttpResponse<String> metrics() {
        return HttpResponse.ok(prometheus.scrape()).contentType(PROMETHEUS_TEXT);
    }
}
