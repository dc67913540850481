package io.splitguard.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.security.annotation.Secured;
import io.splitguard.gateway.config.GatewaySettings;
import io.splitguard.gateway.config.LeaseSettings;
import io.splitguard.gateway.kafka.LeaseProducer;
import io.splitguard.gateway.kafka.LeaseReplies;
import io.splitguard.gateway.kafka.NotSentException;
import io.splitguard.gateway.security.Scopes;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.JsonSchemas;
import io.splitguard.schemas.json.SchemaId;
import io.splitguard.schemas.model.LeaseCommand;
import io.splitguard.schemas.model.LeaseDecision;
import io.splitguard.schemas.model.LeaseView;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease API ({@code /api/v1/state/locks/acquire|heartbeat|release}). A request becomes a command on
 * the lease-commands topic, keyed by its resource id, so the single task owning that partition decides
 * it; the answer is that decision, read back from lease-decisions by request id. Never a 2xx without a
 * decision: a command Kafka did not take, or a decision that does not come within the bound, is a 503
 * with Retry-After. A retried acquire with the same {@code correlation_id} gets the same grant.
 */
@Controller
public class LeaseController {

    public static final String BASE = "/api/v1/state/locks";

    private static final Logger LOG = LoggerFactory.getLogger(LeaseController.class);

    /** The body fields each command takes; anything else is refused. */
    private static final Map<LeaseCommand.Type, Set<String>> FIELDS = Map.of(
            LeaseCommand.Type.ACQUIRE,
            Set.of("resource_id", "region_origin", "lock_ttl_ms", "operation_type", "correlation_id"),
            LeaseCommand.Type.HEARTBEAT,
            Set.of("resource_id", "lock_token"),
            LeaseCommand.Type.RELEASE,
            Set.of("resource_id", "lock_token"));

    private final GatewaySettings settings;
    private final LeaseSettings leases;
    private final LeaseProducer producer;
    private final LeaseReplies replies;

    public LeaseController(
            GatewaySettings settings, LeaseSettings leases, LeaseProducer producer, LeaseReplies replies) {
        this.settings = settings;
        this.leases = leases;
        this.producer = producer;
        this.replies = replies;
    }

    @Post(uri = BASE + "/acquire", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    @Secured(Scopes.SESSION_WRITE)
    public CompletableFuture<HttpResponse<?>> acquire(HttpRequest<?> request, @Body byte[] body) {
        return decide(request, body, LeaseCommand.Type.ACQUIRE);
    }

    @Post(uri = BASE + "/heartbeat", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    @Secured(Scopes.SESSION_WRITE)
    public CompletableFuture<HttpResponse<?>> heartbeat(HttpRequest<?> request, @Body byte[] body) {
        return decide(request, body, LeaseCommand.Type.HEARTBEAT);
    }

    @Post(uri = BASE + "/release", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    @Secured(Scopes.SESSION_WRITE)
    public CompletableFuture<HttpResponse<?>> release(HttpRequest<?> request, @Body byte[] body) {
        return decide(request, body, LeaseCommand.Type.RELEASE);
    }

    /**
     * For operators: the lease on {@code resourceId} as its owner sees it now ({@code held}, {@code
     * cooling} or {@code free}, with holder, fencing token, expiry and staleness), never its lock token.
     * The question travels as a command on the resource's partition like any other, so the answer
     * reflects every decision taken before it; 503 when no answer comes in time.
     */
    @Get(uri = BASE + "/{resource_id}", produces = MediaType.APPLICATION_JSON)
    @Secured(Scopes.ADMIN)
    public CompletableFuture<HttpResponse<?>> describe(
            HttpRequest<?> request, @PathVariable("resource_id") String resourceId) {
        LeaseCommand command;
        try {
            command = LeaseCommand.describe(resourceId, UUID.randomUUID().toString(), Instant.now());
        } catch (IllegalArgumentException | NullPointerException e) {
            return CompletableFuture.completedFuture(render(
                    Problem.of(
                                    "invalid-resource-id",
                                    HttpStatus.BAD_REQUEST,
                                    "Invalid resource id",
                                    "The resource id must be 1.." + LeaseCommand.MAX_ID_LENGTH
                                            + " characters a database can store.")
                            .with("errors", List.of(String.valueOf(e.getMessage()))),
                    request));
        }
        RequestLogging.describe(request, resourceId, null);
        return submit(request, command);
    }

    private CompletableFuture<HttpResponse<?>> decide(HttpRequest<?> request, byte[] body, LeaseCommand.Type type) {
        LeaseCommand command;
        try {
            command = validate(request, body, type);
        } catch (ProblemException e) {
            return CompletableFuture.completedFuture(render(e.problem(), request));
        }
        return submit(request, command);
    }

    /** Writes {@code command} and answers with its decision, or 503 when there is none to give. */
    private CompletableFuture<HttpResponse<?>> submit(HttpRequest<?> request, LeaseCommand command) {
        LeaseCommand.Type type = command.type();
        if (!replies.ready()) {
            return CompletableFuture.completedFuture(unavailable(
                    request,
                    "lease-decisions-unavailable",
                    "Nothing was recorded: this instance is not reading lease decisions yet. Retry later.",
                    "not_recorded"));
        }
        CompletableFuture<LeaseDecision> decision = replies.await(command.requestId());
        CompletableFuture<HttpResponse<?>> answer = new CompletableFuture<>();
        producer.send(command).whenComplete((metadata, error) -> {
            if (error != null) {
                replies.forget(command.requestId());
                Throwable cause =
                        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                boolean notSent = cause instanceof NotSentException;
                RequestLogging.withMdc(
                        request,
                        () -> LOG.warn(
                                "lease {} of {} not taken by Kafka: {}", type, command.resourceId(), cause.toString()));
                answer.complete(unavailable(
                        request,
                        notSent ? "kafka-unavailable" : "outcome-unknown",
                        notSent
                                ? "Nothing was recorded: Kafka could not take the lease request in time. Retry later."
                                : retryDetail(
                                        type, "the write to Kafka failed after the request may have been recorded"),
                        notSent ? "not_recorded" : "unknown"));
                return;
            }
            decision.orTimeout(leases.getDecisionTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .whenComplete((d, waitError) -> {
                        if (waitError == null) {
                            answer.complete(respond(d));
                            return;
                        }
                        replies.forget(command.requestId());
                        Throwable cause = waitError instanceof CompletionException && waitError.getCause() != null
                                ? waitError.getCause()
                                : waitError;
                        RequestLogging.withMdc(
                                request,
                                () -> LOG.warn(
                                        "lease {} of {}: no decision within {} ({})",
                                        type,
                                        command.resourceId(),
                                        leases.getDecisionTimeout(),
                                        cause instanceof TimeoutException ? "timeout" : cause.toString()));
                        answer.complete(unavailable(
                                request,
                                "lease-decision-timeout",
                                retryDetail(type, "the request was recorded but its decision did not come in time"),
                                "unknown"));
                    });
        });
        return answer;
    }

    private static String retryDetail(LeaseCommand.Type type, String what) {
        if (type == LeaseCommand.Type.DESCRIBE) {
            return "No answer: " + what + ". Asking again changes nothing.";
        }
        return "The outcome is unknown: " + what + "."
                + (type == LeaseCommand.Type.ACQUIRE
                        ? " Retry with the same correlation_id: if the lease was granted, the retry gets the same grant."
                        : " Retry the same request.");
    }

    /** Size, media type, JSON, fields, schema; throws the problem to answer. */
    LeaseCommand validate(HttpRequest<?> request, byte[] body, LeaseCommand.Type type) {
        BodyChecks.sizeAndMediaType(request, body, settings.getMaxBodyBytes(), "The body");
        JsonNode document;
        try {
            document = body == null || body.length == 0 ? null : Json.mapper().readTree(body);
        } catch (IOException e) {
            throw new ProblemException(BodyChecks.malformed("The body is not well-formed JSON."));
        }
        if (document == null || !document.isObject()) {
            throw new ProblemException(BodyChecks.malformed("The body must be a JSON object."));
        }
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> names = document.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.get(type).contains(name)) {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            throw new ProblemException(invalid(List.of("fields not taken by " + type.wireName() + ": " + unknown)));
        }
        String requestId = UUID.randomUUID().toString();
        Instant receivedAt = Instant.now();
        ObjectNode value = ((ObjectNode) document).deepCopy();
        value.put("type", type.wireName());
        value.put("request_id", requestId);
        value.put("received_at", receivedAt.toString());
        List<String> violations = JsonSchemas.get().violations(SchemaId.LEASE_COMMAND, value);
        if (!violations.isEmpty()) {
            throw new ProblemException(invalid(violations));
        }
        RequestLogging.describe(request, document.path("resource_id").asText(null), null);
        try {
            return new LeaseCommand(
                    type,
                    document.get("resource_id").textValue(),
                    text(document, "region_origin"),
                    document.hasNonNull("lock_ttl_ms")
                            ? document.get("lock_ttl_ms").longValue()
                            : null,
                    text(document, "operation_type"),
                    text(document, "correlation_id"),
                    text(document, "lock_token"),
                    requestId,
                    receivedAt);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ProblemException(invalid(List.of(String.valueOf(e.getMessage()))));
        }
    }

    private static String text(JsonNode document, String field) {
        JsonNode node = document.get(field);
        return node == null || node.isNull() ? null : node.textValue();
    }

    /** 200 for granted, extended and released; 409 otherwise, with Retry-After on a conflict. */
    static HttpResponse<?> respond(LeaseDecision d) {
        ObjectNode answer = Json.mapper().createObjectNode();
        answer.put("resource_id", d.resourceId());
        answer.put("status", d.outcome().wireName());
        switch (d.outcome()) {
            case GRANTED, EXTENDED -> {
                answer.put("lock_token", d.lockToken());
                answer.put("fencing_token", d.fencingToken());
                answer.put("holder_region", d.holderRegion());
                answer.put("expires_at", String.valueOf(d.expiresAt()));
                if (d.overrode() != null) {
                    ObjectNode previous = answer.putObject("overrode");
                    previous.put("holder_region", d.overrode().holderRegion());
                    previous.put("fencing_token", d.overrode().fencingToken());
                }
            }
            case RELEASED -> {
                if (d.fencingToken() != null) {
                    answer.put("fencing_token", d.fencingToken());
                }
            }
            case DESCRIBED -> describe(answer, d.lease(), d.decidedAt());
            case CONFLICT, LOST, NOT_HOLDER -> {
                if (d.holderRegion() != null) {
                    answer.put("holder_region", d.holderRegion());
                }
                if (d.expiresAt() != null) {
                    answer.put("expires_at", d.expiresAt().toString());
                }
                if (d.retryAfterMs() != null) {
                    answer.put("retry_after_ms", d.retryAfterMs());
                }
            }
        }
        byte[] bytes;
        try {
            bytes = Json.mapper().writeValueAsBytes(answer);
        } catch (IOException e) {
            throw new IllegalStateException("an answer is always serializable", e);
        }
        MutableHttpResponse<byte[]> response = HttpResponse.<byte[]>status(
                        d.succeeded() ? HttpStatus.OK : HttpStatus.CONFLICT)
                .contentType(MediaType.APPLICATION_JSON_TYPE)
                .body(bytes);
        if (d.outcome() == LeaseDecision.Outcome.CONFLICT && d.retryAfterMs() != null) {
            response.header(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, (d.retryAfterMs() + 999) / 1000)));
        }
        return response;
    }

    /** The lease view, with {@code as_of}: the owner's clock when it answered, which its instants are on. */
    private static void describe(ObjectNode answer, LeaseView lease, Instant asOf) {
        answer.remove("status");
        answer.put("as_of", asOf.toString());
        answer.put("state", lease.state().wireName());
        putIfSet(answer, "holder_region", lease.holderRegion());
        if (lease.fencingToken() != null) {
            answer.put("fencing_token", lease.fencingToken());
        }
        putIfSet(answer, "operation_type", lease.operationType());
        putIfSet(answer, "correlation_id", lease.correlationId());
        putIfSet(answer, "granted_at", lease.grantedAt());
        putIfSet(answer, "last_heartbeat_at", lease.lastHeartbeatAt());
        putIfSet(answer, "expires_at", lease.expiresAt());
        putIfSet(answer, "stale_at", lease.staleAt());
        putIfSet(answer, "blocked_until", lease.blockedUntil());
        putIfSet(answer, "overridden_holder_region", lease.overriddenHolderRegion());
    }

    private static void putIfSet(ObjectNode answer, String field, Object value) {
        if (value != null) {
            answer.put(field, value.toString());
        }
    }

    private MutableHttpResponse<byte[]> unavailable(
            HttpRequest<?> request, String type, String detail, String outcome) {
        return render(
                        Problem.of(type, HttpStatus.SERVICE_UNAVAILABLE, "Service unavailable", detail)
                                .with("outcome", outcome),
                        request)
                .header(HttpHeaders.RETRY_AFTER, Integer.toString(settings.getRetryAfterSeconds()));
    }

    private static Problem invalid(List<String> errors) {
        return Problem.of(
                        "schema-violation",
                        HttpStatus.UNPROCESSABLE_ENTITY,
                        "Invalid lease request",
                        "The body does not satisfy the lease request contract.")
                .with("errors", errors);
    }

    private static MutableHttpResponse<byte[]> render(Problem problem, HttpRequest<?> request) {
        return problem.withInstance(request.getPath()).toResponse();
    }
}
