package io.splitguard.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.splitguard.gateway.config.GatewaySettings;
import io.splitguard.gateway.idempotency.CachedEntry;
import io.splitguard.gateway.security.Scopes;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.JsonSchemas;
import io.splitguard.schemas.json.PayloadHash;
import io.splitguard.schemas.json.SchemaId;
import io.splitguard.schemas.json.Storable;
import io.splitguard.schemas.model.CrmContactUpdate;
import io.splitguard.schemas.model.IdempotencyKeys;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /api/v2/integrations/crm/contact/update}: validate, take the idempotency key, produce
 * with a durable ack, answer from the producer callback. Nothing here blocks the event loop.
 */
@Controller
public class ContactUpdateController {

    public static final String PATH = "/api/v2/integrations/crm/contact/update";
    public static final String ROUTE = "crm.contact.update";
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    /**
     * The fencing token of the lease a writer holds on the session (resource = session id): an update whose
     * token is older than the session's latest is refused downstream (the sink's fence, audited).
     */
    public static final String FENCING_TOKEN = "X-Fencing-Token";

    public static final String REPLAYED = "Idempotent-Replayed";
    public static final String PREFERENCE_APPLIED = "Preference-Applied";

    private final GatewaySettings settings;
    private final IdempotentWrites writes;
    private final GatewayMetrics metrics;

    public ContactUpdateController(GatewaySettings settings, IdempotentWrites writes, GatewayMetrics metrics) {
        this.settings = settings;
        this.writes = writes;
        this.metrics = metrics;
    }

    @Post(uri = PATH, consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    @Secured(Scopes.SESSION_WRITE)
    public CompletableFuture<HttpResponse<?>> update(
            HttpRequest<?> request, @Body byte[] body, @Nullable Authentication authentication) {
        IdempotentWrites.Accepted input;
        try {
            input = validate(request, body, Scopes.tenantOf(authentication));
        } catch (ProblemException e) {
            metrics.rejected();
            return CompletableFuture.completedFuture(
                    e.problem().withInstance(request.getPath()).toResponse());
        }

        return writes.write(request, input);
    }

    /** Checks size, media type, JSON, schema and key, in that order; throws the problem to answer. */
    IdempotentWrites.Accepted validate(HttpRequest<?> request, byte[] body, String tenant) {
        BodyChecks.sizeAndMediaType(request, body, settings.getMaxBodyBytes(), "The body");
        if (body == null || body.length == 0) {
            throw new ProblemException(BodyChecks.malformed("The body is empty."));
        }
        JsonNode document;
        try {
            document = Json.mapper().readTree(body);
        } catch (IOException e) {
            throw new ProblemException(BodyChecks.malformed("The body is not well-formed JSON."));
        }
        if (document == null || document.isMissingNode()) {
            throw new ProblemException(BodyChecks.malformed("The body is empty."));
        }
        List<String> violations = JsonSchemas.get().violations(SchemaId.CRM_CONTACT_UPDATE, document);
        if (!violations.isEmpty()) {
            throw new ProblemException(Problem.of(
                            "schema-violation",
                            HttpStatus.UNPROCESSABLE_ENTITY,
                            "Invalid contact update",
                            "The body does not satisfy the contact update contract.")
                    .with("errors", violations));
        }
        List<String> unstorable = Storable.violations(document);
        if (!unstorable.isEmpty()) {
            throw new ProblemException(Problem.of(
                            "unstorable-content",
                            HttpStatus.UNPROCESSABLE_ENTITY,
                            "Content cannot be stored",
                            "The body contains values the database cannot store exactly as sent.")
                    .with("errors", unstorable));
        }
        CrmContactUpdate update = CrmContactUpdate.from(document);
        RequestLogging.describe(request, update.sessionId(), null);
        String key = request.getHeaders().get(IDEMPOTENCY_KEY);
        boolean derived = false;
        String payloadHash;
        if (key != null) {
            if (key.isEmpty() || key.length() > IdempotencyKeys.MAX_KEY_LENGTH || Storable.problemWith(key) != null) {
                throw new ProblemException(Problem.of(
                        "invalid-idempotency-key",
                        HttpStatus.BAD_REQUEST,
                        "Invalid idempotency key",
                        "Idempotency-Key must have 1 to " + IdempotencyKeys.MAX_KEY_LENGTH
                                + " characters, none of them U+0000 or an unpaired surrogate."));
            }
            payloadHash = PayloadHash.of(document);
        } else {
            Instant timestamp = update.timestampToSecond()
                    .orElseThrow(() -> new ProblemException(Problem.of(
                            "idempotency-key-required",
                            HttpStatus.BAD_REQUEST,
                            "Idempotency key required",
                            "Without an Idempotency-Key header the key is derived from session_id, operation and"
                                    + " payload.timestamp; payload.timestamp is missing.")));
            key = IdempotencyKeys.derive(update.sessionId(), update.operation(), timestamp);
            derived = true;
            // compared as the key is derived: the timestamp to the second (a retry differing only in
            // milliseconds is a replay); the audit record keeps the hash of the body as sent
            payloadHash = PayloadHash.ofDerived(document, timestamp);
        }
        RequestLogging.describe(request, null, key);
        String scoped = IdempotencyKeys.scoped(tenant, ROUTE, update.sessionId(), key);
        CachedEntry.Delivery delivery = new CachedEntry.Delivery(
                scoped,
                UUID.randomUUID().toString(),
                tenant,
                key,
                ROUTE,
                update.sessionId(),
                payloadHash,
                derived,
                Instant.now());
        return new IdempotentWrites.Accepted(delivery, document, fencingToken(request));
    }

    /** The {@link #FENCING_TOKEN} header: absent, or a positive decimal number (else 400). */
    private static Long fencingToken(HttpRequest<?> request) {
        String value = request.getHeaders().get(FENCING_TOKEN);
        if (value == null) {
            return null;
        }
        if (value.matches("[0-9]{1,18}") && Long.parseLong(value) > 0) {
            return Long.parseLong(value);
        }
        throw new ProblemException(Problem.of(
                "invalid-fencing-token",
                HttpStatus.BAD_REQUEST,
                "Invalid fencing token",
                FENCING_TOKEN + " must be the positive decimal fencing_token of a lease on the session."));
    }
}
