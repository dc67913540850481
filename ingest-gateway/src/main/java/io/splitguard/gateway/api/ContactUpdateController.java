package io.splitguard.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.security.annotation.Secured;
import io.micronaut.security.authentication.Authentication;
import io.splitguard.gateway.config.GatewaySettings;
import io.splitguard.gateway.idempotency.CachedEntry;
import io.splitguard.gateway.idempotency.Claim;
import io.splitguard.gateway.idempotency.IdempotencyCache;
import io.splitguard.gateway.kafka.MutationProducer;
import io.splitguard.gateway.kafka.NotSentException;
import io.splitguard.gateway.kafka.OutcomesListener;
import io.splitguard.gateway.security.Scopes;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.JsonSchemas;
import io.splitguard.schemas.json.PayloadHash;
import io.splitguard.schemas.json.SchemaId;
import io.splitguard.schemas.json.Storable;
import io.splitguard.schemas.model.CrmContactUpdate;
import io.splitguard.schemas.model.IdempotencyKeys;
import io.splitguard.schemas.model.IdempotencyOutcome;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.model.Verdict;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    private static final Logger LOG = LoggerFactory.getLogger(ContactUpdateController.class);

    private final GatewaySettings settings;
    private final IdempotencyCache cache;
    private final MutationProducer producer;
    private final OutcomesListener outcomes;
    private final GatewayMetrics metrics;

    public ContactUpdateController(
            GatewaySettings settings,
            IdempotencyCache cache,
            MutationProducer producer,
            OutcomesListener outcomes,
            GatewayMetrics metrics) {
        this.settings = settings;
        this.cache = cache;
        this.producer = producer;
        this.outcomes = outcomes;
        this.metrics = metrics;
    }

    @Post(uri = PATH, consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    @Secured(Scopes.SESSION_WRITE)
    public CompletableFuture<HttpResponse<?>> update(
            HttpRequest<?> request, @Body byte[] body, @Nullable Authentication authentication) {
        Accepted input;
        try {
            input = validate(request, body, Scopes.tenantOf(authentication));
        } catch (ProblemException e) {
            metrics.rejected();
            return CompletableFuture.completedFuture(render(e.problem(), request));
        }

        Claim claim = cache.claim(input.delivery());
        if (claim instanceof Claim.InFlight) {
            metrics.inFlight();
            return done(render(
                            Problem.of(
                                    "request-in-flight",
                                    HttpStatus.CONFLICT,
                                    "Request in flight",
                                    "A request with this idempotency key is still being processed; retry later."),
                            request)
                    .header(HttpHeaders.RETRY_AFTER, Integer.toString(settings.getRetryAfterSeconds())));
        }
        if (claim instanceof Claim.Replay replay) {
            metrics.replayed();
            CachedEntry entry = replay.entry();
            return done(HttpResponse.<byte[]>status(HttpStatus.valueOf(entry.status()))
                    .contentType(MediaType.APPLICATION_JSON_TYPE)
                    .header(REPLAYED, "true")
                    .body(entry.body()));
        }
        if (claim instanceof Claim.Mismatch mismatch) {
            metrics.conflict();
            if (mismatch.entry().state() == CachedEntry.State.INDETERMINATE) {
                return done(render(indeterminateKeyReused(), request));
            }
            return done(render(keyReused(input.delivery().keyDerived()), request));
        }
        return produce(request, input, ((Claim.Acquired) claim).possiblySeen());
    }

    private CompletableFuture<HttpResponse<?>> produce(HttpRequest<?> request, Accepted input, boolean possiblySeen) {
        CachedEntry.Delivery d = input.delivery();
        Optional<Duration> wait = PreferWait.parse(request.getHeaders().getAll("Prefer"), settings.getMaxWait());
        // A key whose answer this instance no longer holds may have been applied: the topology's verdict
        // (its dedup store is authoritative within the window) decides between a first answer, a replay
        // and a 422. Registered before producing, so a fast verdict cannot be missed.
        boolean askVerdict = wait.isPresent() || possiblySeen;
        CompletableFuture<IdempotencyOutcome> verdict = askVerdict ? outcomes.await(d.requestId()) : null;
        MutationRequest value = new MutationRequest(
                MutationRequest.CURRENT_SCHEMA_VERSION,
                d.requestId(),
                d.tenant(),
                d.route(),
                d.sessionId(),
                d.idempotencyKey(),
                d.keyDerived(),
                d.scopedKey(),
                d.payloadHash(),
                d.receivedAt(),
                input.fencingToken(),
                input.document());
        return producer.send(value)
                .<CompletableFuture<HttpResponse<?>>>handle((metadata, error) -> {
                    if (error != null) {
                        outcomes.forget(d.requestId());
                        metrics.unavailable();
                        Throwable cause =
                                error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                                        ? error.getCause()
                                        : error;
                        if (cause instanceof NotSentException) {
                            cache.release(d.scopedKey(), d.requestId());
                            RequestLogging.withMdc(
                                    request,
                                    () -> LOG.warn("produce of {} not sent: {}", d.requestId(), cause.getMessage()));
                            return done(unavailable(request, false));
                        }
                        cache.indeterminate(d.scopedKey(), d.requestId());
                        RequestLogging.withMdc(
                                request,
                                () -> LOG.warn("produce of {} indeterminate: {}", d.requestId(), cause.toString()));
                        return done(unavailable(request, true));
                    }
                    ObjectNode accepted = IdempotencyCache.acceptedBody(
                            d.idempotencyKey(), d.sessionId(), d.payloadHash(), d.receivedAt(), d.keyDerived());
                    byte[] bytes = IdempotencyCache.bytes(accepted);
                    Optional<CachedEntry> now =
                            cache.complete(d.scopedKey(), d.requestId(), HttpStatus.OK.getCode(), bytes);
                    if (now.isPresent() && !now.get().payloadHash().equals(d.payloadHash())) {
                        // the topology recorded another payload for this key before our ack arrived
                        outcomes.forget(d.requestId());
                        metrics.conflict();
                        return done(render(keyReused(d.keyDerived()), request));
                    }
                    if (verdict == null) {
                        metrics.accepted();
                        return done(json(bytes));
                    }
                    long millis = wait.orElse(settings.getVerdictWait()).toMillis();
                    return verdict.completeOnTimeout(null, millis, TimeUnit.MILLISECONDS)
                            .<HttpResponse<?>>thenApply(outcome -> {
                                outcomes.forget(d.requestId());
                                return withVerdict(request, d, accepted, bytes, outcome, wait);
                            });
                })
                .thenCompose(f -> f);
    }

    private HttpResponse<?> withVerdict(
            HttpRequest<?> request,
            CachedEntry.Delivery d,
            ObjectNode accepted,
            byte[] acceptedBytes,
            IdempotencyOutcome outcome,
            Optional<Duration> wait) {
        if (outcome == null) {
            // no verdict in time: the request is durable and will be decided once; say what we know
            metrics.accepted();
            return json(acceptedBytes);
        }
        if (outcome.lastVerdict() == Verdict.CONFLICT) {
            metrics.conflict();
            MutableHttpResponse<byte[]> refused = render(keyReused(d.keyDerived()), request);
            wait.ifPresent(w -> refused.header(PREFERENCE_APPLIED, "wait=" + w.toSeconds()));
            return refused;
        }
        if (wait.isEmpty()) {
            if (outcome.lastVerdict() == Verdict.DUPLICATE) {
                // the key was applied earlier (its answer had left this instance's cache): a replay
                metrics.replayed();
                Instant originalReceived = outcome.receivedAt() != null ? outcome.receivedAt() : d.receivedAt();
                return json(IdempotencyCache.bytes(IdempotencyCache.acceptedBody(
                                outcome.idempotencyKey(),
                                outcome.sessionId(),
                                outcome.payloadHash(),
                                originalReceived,
                                d.keyDerived())))
                        .header(REPLAYED, "true");
            }
            metrics.accepted();
            return json(acceptedBytes);
        }
        metrics.accepted();
        ObjectNode body = accepted.deepCopy();
        body.put("status", outcome.lastVerdict().wireName());
        body.put("sequence", outcome.sequence());
        return json(IdempotencyCache.bytes(body))
                .header(PREFERENCE_APPLIED, "wait=" + wait.get().toSeconds());
    }

    /** Checks size, media type, JSON, schema and key, in that order; throws the problem to answer. */
    Accepted validate(HttpRequest<?> request, byte[] body, String tenant) {
        int max = settings.getMaxBodyBytes();
        long declared = request.getContentLength();
        if (declared > max || (body != null && body.length > max)) {
            throw new ProblemException(Problem.of(
                    "payload-too-large",
                    HttpStatus.REQUEST_ENTITY_TOO_LARGE,
                    "Payload too large",
                    "The body exceeds the limit of " + max + " bytes."));
        }
        MediaType type = request.getContentType().orElse(null);
        if (type == null || !"application".equals(type.getType()) || !"json".equals(type.getSubtype())) {
            throw new ProblemException(Problem.of(
                    "unsupported-media-type",
                    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                    "Unsupported media type",
                    "The body must be sent as application/json."));
        }
        if (body == null || body.length == 0) {
            throw new ProblemException(malformed("The body is empty."));
        }
        JsonNode document;
        try {
            document = Json.mapper().readTree(body);
        } catch (IOException e) {
            throw new ProblemException(malformed("The body is not well-formed JSON."));
        }
        if (document == null || document.isMissingNode()) {
            throw new ProblemException(malformed("The body is empty."));
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
        return new Accepted(delivery, document, fencingToken(request));
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

    /** @param fencingToken the lease's fencing token the writer sent, or null */
    record Accepted(CachedEntry.Delivery delivery, JsonNode document, Long fencingToken) {}

    private static Problem malformed(String detail) {
        return Problem.of("malformed-request", HttpStatus.BAD_REQUEST, "Malformed request", detail);
    }

    private static Problem keyReused(boolean derived) {
        if (derived) {
            return Problem.of(
                    "derived-key-conflict",
                    HttpStatus.UNPROCESSABLE_ENTITY,
                    "Derived idempotency key reused",
                    "Without an Idempotency-Key header the key is derived from session_id, operation and"
                            + " payload.timestamp to the second, and another body already used that key. Send"
                            + " distinct operations with an explicit Idempotency-Key.");
        }
        return Problem.of(
                "idempotency-key-reused",
                HttpStatus.UNPROCESSABLE_ENTITY,
                "Idempotency key reused",
                "This idempotency key was already used with a different payload.");
    }

    private static Problem indeterminateKeyReused() {
        return Problem.of(
                "idempotency-key-reused",
                HttpStatus.UNPROCESSABLE_ENTITY,
                "Idempotency key reused",
                "An earlier request with this idempotency key and a different payload may have been recorded"
                        + " (its outcome is unknown); only that same payload may be retried under this key.");
    }

    private MutableHttpResponse<byte[]> unavailable(HttpRequest<?> request, boolean indeterminate) {
        String detail = indeterminate
                ? "The outcome is unknown: the write to Kafka failed or timed out after the request may have"
                        + " been recorded. Retry with the same Idempotency-Key and the same body; it will be"
                        + " applied at most once. A different body under this key will be refused."
                : "Nothing was recorded: Kafka could not take the request in time. Retry later.";
        return render(
                        Problem.of(
                                        indeterminate ? "outcome-unknown" : "kafka-unavailable",
                                        HttpStatus.SERVICE_UNAVAILABLE,
                                        "Service unavailable",
                                        detail)
                                .with("outcome", indeterminate ? "unknown" : "not_recorded"),
                        request)
                .header(HttpHeaders.RETRY_AFTER, Integer.toString(settings.getRetryAfterSeconds()));
    }

    private static MutableHttpResponse<byte[]> render(Problem problem, HttpRequest<?> request) {
        return problem.withInstance(request.getPath()).toResponse();
    }

    private static MutableHttpResponse<byte[]> json(byte[] body) {
        return HttpResponse.<byte[]>ok(body).contentType(MediaType.APPLICATION_JSON_TYPE);
    }

    private static CompletableFuture<HttpResponse<?>> done(HttpResponse<?> response) {
        return CompletableFuture.completedFuture(response);
    }
}
