package io.splitguard.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.splitguard.gateway.config.GatewaySettings;
import io.splitguard.gateway.idempotency.CachedEntry;
import io.splitguard.gateway.idempotency.Claim;
import io.splitguard.gateway.idempotency.IdempotencyCache;
import io.splitguard.gateway.kafka.MutationProducer;
import io.splitguard.gateway.kafka.NotSentException;
import io.splitguard.gateway.kafka.OutcomesListener;
import io.splitguard.schemas.model.IdempotencyOutcome;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.model.Verdict;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The idempotent write every session-keyed input shares (CRM updates, platform webhooks): claim the
 * scoped key in the cache, answer a replay, a conflict or an in-flight delivery at once, otherwise produce
 * with a durable ack and answer from the producer callback ({@code Prefer: wait} waits for the topology's
 * verdict). Nothing here blocks the event loop.
 */
@Singleton
public class IdempotentWrites {

    private static final Logger LOG = LoggerFactory.getLogger(IdempotentWrites.class);

    private final GatewaySettings settings;
    private final IdempotencyCache cache;
    private final MutationProducer producer;
    private final OutcomesListener outcomes;
    private final GatewayMetrics metrics;

    public IdempotentWrites(
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

    /**
     * Writes {@code document} under {@code input.delivery()}'s key once.
     *
     * @param input the validated delivery, its document and the writer's fencing token (may be null)
     */
    public CompletableFuture<HttpResponse<?>> write(HttpRequest<?> request, Accepted input) {
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
                    .header(ContactUpdateController.REPLAYED, "true")
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
            wait.ifPresent(w -> refused.header(ContactUpdateController.PREFERENCE_APPLIED, "wait=" + w.toSeconds()));
            return refused;
        }
        if (outcome.lastVerdict() == Verdict.FENCED) {
            metrics.conflict();
            MutableHttpResponse<byte[]> fenced = render(
                    Problem.of(
                                    "fenced",
                                    HttpStatus.CONFLICT,
                                    "Fencing token superseded",
                                    "The request was recorded but not applied: its "
                                            + ContactUpdateController.FENCING_TOKEN
                                            + " is older than the session lease's current fencing token (the lease"
                                            + " moved on). The key is not remembered; take the lease again and"
                                            + " retry with its token.")
                            .with("verdict", "fenced"),
                    request);
            wait.ifPresent(w -> fenced.header(ContactUpdateController.PREFERENCE_APPLIED, "wait=" + w.toSeconds()));
            return fenced;
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
                        .header(ContactUpdateController.REPLAYED, "true");
            }
            metrics.accepted();
            return json(acceptedBytes);
        }
        metrics.accepted();
        ObjectNode body = accepted.deepCopy();
        body.put("status", outcome.lastVerdict().wireName());
        body.put("sequence", outcome.sequence());
        return json(IdempotencyCache.bytes(body))
                .header(
                        ContactUpdateController.PREFERENCE_APPLIED,
                        "wait=" + wait.get().toSeconds());
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
        return BodyChecks.unavailable(
                request,
                indeterminate,
                "The outcome is unknown: the write to Kafka failed or timed out after the request may have"
                        + " been recorded. Retry with the same Idempotency-Key and the same body; it will be"
                        + " applied at most once. A different body under this key will be refused.",
                "Nothing was recorded: Kafka could not take the request in time. Retry later.",
                settings.getRetryAfterSeconds());
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

    /**
     * A validated delivery ready to write.
     *
     * @param fencingToken the lease's fencing token the writer sent, or null
     */
    public record Accepted(CachedEntry.Delivery delivery, JsonNode document, Long fencingToken) {}
}
