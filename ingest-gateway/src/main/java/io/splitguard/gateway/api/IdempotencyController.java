package io.splitguard.gateway.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.splitguard.gateway.idempotency.CachedEntry;
import io.splitguard.gateway.idempotency.IdempotencyCache;
import io.splitguard.gateway.security.Scopes;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.IdempotencyOutcome;

/** {@code GET /api/v2/idempotency/{key}}: what this instance knows about a key of the caller's tenant. */
@Controller
public class IdempotencyController {

    private final IdempotencyCache cache;

    public IdempotencyController(IdempotencyCache cache) {
        this.cache = cache;
    }

    @Get(uri = "/api/v2/idempotency/{key}", produces = MediaType.APPLICATION_JSON)
    @Secured(Scopes.SESSION_READ)
    public HttpResponse<?> get(
            HttpRequest<?> request, @PathVariable String key, @Nullable Authentication authentication) {
        return cache.findDone(Scopes.tenantOf(authentication), key)
                .<HttpResponse<?>>map(entry -> HttpResponse.ok(IdempotencyCache.bytes(describe(entry)))
                        .contentType(MediaType.APPLICATION_JSON_TYPE))
                .orElseGet(() -> Problem.of(
                                "idempotency-key-unknown",
                                HttpStatus.NOT_FOUND,
                                "Unknown idempotency key",
                                "No outcome is recorded for this key.")
                        .withInstance(request.getPath())
                        .toResponse());
    }

    static ObjectNode describe(CachedEntry entry) {
        ObjectNode body = Json.mapper().createObjectNode();
        IdempotencyOutcome outcome = entry.outcome();
        body.put("idempotency_key", entry.idempotencyKey());
        body.put("session_id", entry.sessionId());
        if (entry.route() != null) {
            body.put("route", entry.route());
        }
        body.put("payload_hash", entry.payloadHash());
        body.put("status", outcome != null ? outcome.status() : IdempotencyCache.STATUS_ACCEPTED);
        if (outcome != null) {
            body.put("sequence", outcome.sequence());
        }
        body.put("received_at", entry.receivedAt().toString());
        if (outcome != null && outcome.appliedAt() != null) {
            body.put("applied_at", outcome.appliedAt().toString());
        }
        if (entry.keyDerived()) {
            body.put("key_derived", true);
        }
        body.put("response_status", entry.status());
        return body;
    }
}
