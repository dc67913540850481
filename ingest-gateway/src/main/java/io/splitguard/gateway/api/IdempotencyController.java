package io.splitguard.gateway.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
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
import io.splitguard.gateway.idempotency.StoredOutcomes;
import io.splitguard.gateway.security.Scopes;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.IdempotencyOutcome;
import io.splitguard.schemas.topics.TopicCatalog;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * {@code GET /api/v2/idempotency/{key}}: the recorded outcome of a key of the caller's tenant. This
 * instance's memory answers first; when it holds no completed answer and a database is configured
 * ({@code splitguard.idempotency.lookup.*}), the sink's {@code idempotency_store} (7 days) decides:
 * found → 200, absent → 404, not readable in time → 503 (the answer is unknown, never a 404 that could
 * be false). Without a database, a 404 says it reflects this instance's memory only.
 */
@Controller
public class IdempotencyController {

    static final String UNKNOWN_KEY = "idempotency-key-unknown";
    static final String LOOKUP_UNAVAILABLE = "idempotency-lookup-unavailable";

    private final IdempotencyCache cache;
    private final StoredOutcomes store;
    private final TopicCatalog catalog;

    public IdempotencyController(IdempotencyCache cache, Optional<StoredOutcomes> store, TopicCatalog catalog) {
        this.cache = cache;
        this.store = store.orElse(null);
        this.catalog = catalog;
    }

    @Get(uri = "/api/v2/idempotency/{key}", produces = MediaType.APPLICATION_JSON)
    @Secured(Scopes.SESSION_READ)
    public CompletableFuture<HttpResponse<?>> get(
            HttpRequest<?> request, @PathVariable String key, @Nullable Authentication authentication) {
        String tenant = Scopes.tenantOf(authentication);
        RequestLogging.describe(request, null, key);
        Optional<CachedEntry> local = cache.findDone(tenant, key);
        if (local.isPresent()) {
            return CompletableFuture.completedFuture(json(IdempotencyCache.bytes(describe(local.get()))));
        }
        if (store == null) {
            return CompletableFuture.completedFuture(Problem.of(
                            UNKNOWN_KEY,
                            HttpStatus.NOT_FOUND,
                            "Unknown idempotency key",
                            "This instance's memory holds no outcome for this key. It keeps outcomes for at most the"
                                    + " dedup window (" + catalog.dedupWindow() + ") and a bounded number of them;"
                                    + " no database lookup is configured, so the key may still be recorded elsewhere.")
                    .withInstance(request.getPath())
                    .with("answered_from", "instance_memory")
                    .toResponse());
        }
        return store.find(tenant, key).thenApply(result -> answer(request, result));
    }

    private static HttpResponse<?> answer(HttpRequest<?> request, StoredOutcomes.Result result) {
        if (result instanceof StoredOutcomes.Result.Found found) {
            return json(IdempotencyCache.bytes(found.body()));
        }
        if (result instanceof StoredOutcomes.Result.Unknown unknown) {
            return Problem.of(
                            LOOKUP_UNAVAILABLE,
                            HttpStatus.SERVICE_UNAVAILABLE,
                            "Idempotency outcome unknown",
                            "This instance holds no outcome for this key and the idempotency store could not be"
                                    + " read (" + unknown.reason() + "), so whether the key is recorded is unknown."
                                    + " Ask again later.")
                    .withInstance(request.getPath())
                    .with("outcome", "unknown")
                    .toResponse()
                    .header(HttpHeaders.RETRY_AFTER, "1");
        }
        return Problem.of(
                        UNKNOWN_KEY,
                        HttpStatus.NOT_FOUND,
                        "Unknown idempotency key",
                        "No outcome is recorded for this key, neither in this instance's memory nor in the"
                                + " idempotency store.")
                .withInstance(request.getPath())
                .with("answered_from", "idempotency_store")
                .toResponse();
    }

    private static HttpResponse<?> json(byte[] body) {
        return HttpResponse.ok(body).contentType(MediaType.APPLICATION_JSON_TYPE);
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
