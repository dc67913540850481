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
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.security.annotation.Secured;
import io.splitguard.gateway.checkpoint.CheckpointLookup;
import io.splitguard.gateway.checkpoint.Restore;
import io.splitguard.gateway.config.CheckpointSettings;
import io.splitguard.gateway.config.GatewaySettings;
import io.splitguard.gateway.kafka.CheckpointProducer;
import io.splitguard.gateway.kafka.NotSentException;
import io.splitguard.gateway.security.Scopes;
import io.splitguard.schemas.checkpoint.Migrations;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.JsonSchemas;
import io.splitguard.schemas.json.SchemaId;
import io.splitguard.schemas.json.Storable;
import io.splitguard.schemas.model.CheckpointRequest;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v2/sessions/{session_id}/state/checkpoint}: validate, drop the transient variables,
 * produce to checkpoints-in keyed by session id with a durable ack, answer from the producer callback.
 * {@code GET /api/v2/sessions/{session_id}/state/latest}: ask the checkpoint topology (which serves its
 * store through interactive queries) and answer {@code restore: true|false}; nothing is cached here.
 *
 * <p>No idempotency key: a checkpoint is idempotent by its sequence (the checkpoint topology keeps the
 * highest per session and rejects one that is not newer), so a retry after a 503 with an unknown outcome
 * can change nothing it should not.
 */
@Controller
public class CheckpointController {

    public static final String PATH = "/api/v2/sessions/{session_id}/state/checkpoint";
    public static final String LATEST = "/api/v2/sessions/{session_id}/state/latest";

    /** The longest session id a path may carry. */
    static final int MAX_SESSION_ID = 255;

    private static final java.util.regex.Pattern POSITION = java.util.regex.Pattern.compile("[0-9]{1,9}:[0-9]{1,18}");

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointController.class);

    private final GatewaySettings settings;
    private final CheckpointSettings checkpoints;
    private final CheckpointProducer producer;
    private final CheckpointLookup lookup;

    public CheckpointController(
            GatewaySettings settings,
            CheckpointSettings checkpoints,
            CheckpointProducer producer,
            CheckpointLookup lookup) {
        this.settings = settings;
        this.checkpoints = checkpoints;
        this.producer = producer;
        this.lookup = lookup;
    }

    @Get(uri = LATEST, produces = MediaType.APPLICATION_JSON)
    @Secured(Scopes.SESSION_READ)
    public CompletableFuture<HttpResponse<?>> latest(
            HttpRequest<?> request,
            @PathVariable("session_id") String sessionId,
            @Nullable @QueryValue("schema_version") String schemaVersion,
            @Nullable @QueryValue("flow_version") String flowVersion,
            @Nullable @QueryValue("position") String position) {
        RequestLogging.describe(request, sessionId, null);
        if (!wellFormedSession(sessionId)) {
            return done(render(
                    BodyChecks.malformed("The session id in the path is empty, longer than " + MAX_SESSION_ID
                            + " characters or not storable."),
                    request));
        }
        Optional<Integer> version = Optional.empty();
        if (schemaVersion != null) {
            try {
                version = Optional.of(Integer.parseInt(schemaVersion));
            } catch (NumberFormatException e) {
                version = Optional.of(0);
            }
            if (version.get() < 1) {
                return done(render(BodyChecks.malformed("schema_version must be an integer >= 1."), request));
            }
        }
        if (position != null && !POSITION.matcher(position).matches()) {
            return done(render(
                    BodyChecks.malformed(
                            "position must be the opaque value a checkpoint write answered (partition:offset)."),
                    request));
        }
        Optional<Integer> requested = version;
        return lookup.latest(sessionId, Optional.ofNullable(position)).handle((found, error) -> {
            if (error != null) {
                Throwable cause =
                        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                RequestLogging.withMdc(
                        request, () -> LOG.warn("checkpoint read of {} failed: {}", sessionId, cause.getMessage()));
                return render(
                                Problem.of(
                                        "checkpoint-store-unavailable",
                                        HttpStatus.SERVICE_UNAVAILABLE,
                                        "Checkpoint store unavailable",
                                        "The checkpoint topology could not answer in time"
                                                + (position == null ? "" : " (or has not yet reached the write)")
                                                + "; whether a checkpoint exists is unknown. Ask again later."),
                                request)
                        .header(HttpHeaders.RETRY_AFTER, Integer.toString(settings.getRetryAfterSeconds()));
            }
            ObjectNode answer =
                    Restore.answer(found, requested, checkpoints.getRetiredFlowVersions(), Migrations.DEFAULT);
            try {
                return HttpResponse.<byte[]>ok(Json.mapper().writeValueAsBytes(answer))
                        .contentType(MediaType.APPLICATION_JSON_TYPE);
            } catch (IOException e) {
                throw new IllegalStateException("an answer is always serializable", e);
            }
        });
    }

    @Post(uri = PATH, consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    @Secured(Scopes.SESSION_WRITE)
    public CompletableFuture<HttpResponse<?>> checkpoint(
            HttpRequest<?> request, @PathVariable("session_id") String sessionId, @Body byte[] body) {
        CheckpointRequest checkpoint;
        try {
            checkpoint = validate(request, sessionId, body);
        } catch (ProblemException e) {
            return done(render(e.problem(), request));
        }
        return producer.send(checkpoint).handle((position, error) -> {
            if (error == null) {
                return accepted(checkpoint, position);
            }
            Throwable cause =
                    error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            boolean indeterminate = !(cause instanceof NotSentException);
            RequestLogging.withMdc(
                    request,
                    () -> LOG.warn(
                            "checkpoint {} of {} {}: {}",
                            checkpoint.checkpointId(),
                            checkpoint.sessionId(),
                            indeterminate ? "indeterminate" : "not sent",
                            cause.toString()));
            return unavailable(request, indeterminate);
        });
    }

    /** Size, media type, JSON, path/body session, schema, content; throws the problem to answer. */
    CheckpointRequest validate(HttpRequest<?> request, String sessionId, byte[] body) {
        RequestLogging.describe(request, sessionId, null);
        BodyChecks.sizeAndMediaType(request, body, settings.getMaxBodyBytes(), "The body");
        if (!wellFormedSession(sessionId)) {
            throw new ProblemException(BodyChecks.malformed("The session id in the path is empty, longer than "
                    + MAX_SESSION_ID + " characters or not storable."));
        }
        if (body == null || body.length == 0) {
            throw new ProblemException(BodyChecks.malformed("The body is empty."));
        }
        JsonNode document;
        try {
            document = Json.mapper().readTree(body);
        } catch (IOException e) {
            throw new ProblemException(BodyChecks.malformed("The body is not well-formed JSON."));
        }
        if (document == null || !document.isObject()) {
            throw new ProblemException(BodyChecks.malformed("The body is not a JSON object."));
        }
        JsonNode bodySession = document.get("session_id");
        if (bodySession != null
                && bodySession.isTextual()
                && !bodySession.textValue().equals(sessionId)) {
            throw new ProblemException(Problem.of(
                    "session-mismatch",
                    HttpStatus.BAD_REQUEST,
                    "Session mismatch",
                    "The session_id of the body differs from the session id in the path."));
        }
        // the topic value is the body plus what only the gateway knows; the caller's values of these are ignored
        String requestId = UUID.randomUUID().toString();
        Instant receivedAt = Instant.now();
        ObjectNode value = ((ObjectNode) document).deepCopy();
        value.put("request_id", requestId);
        value.put("received_at", receivedAt.toString());
        List<String> violations = JsonSchemas.get().violations(SchemaId.CHECKPOINT_REQUEST, value);
        if (!violations.isEmpty()) {
            throw new ProblemException(Problem.of(
                            "schema-violation",
                            HttpStatus.UNPROCESSABLE_ENTITY,
                            "Invalid checkpoint",
                            "The body does not satisfy the checkpoint contract.")
                    .with("errors", violations));
        }
        try {
            return new CheckpointRequest(
                            sessionId,
                            document.get("region").textValue(),
                            document.get("checkpoint_id").textValue(),
                            document.get("variables"),
                            document.hasNonNull("ttl_seconds")
                                    ? document.get("ttl_seconds").intValue()
                                    : null,
                            document.hasNonNull("schema_version")
                                    ? document.get("schema_version").intValue()
                                    : null,
                            document.hasNonNull("flow_version")
                                    ? document.get("flow_version").textValue()
                                    : null,
                            document.hasNonNull("sequence")
                                    ? document.get("sequence").longValue()
                                    : null,
                            requestId,
                            receivedAt)
                    .withoutVariables(checkpoints.getExcludedVariables());
        } catch (IllegalArgumentException e) {
            throw new ProblemException(Problem.of(
                            "invalid-checkpoint",
                            HttpStatus.UNPROCESSABLE_ENTITY,
                            "Checkpoint cannot be stored",
                            "The checkpoint has no usable sequence or holds values that cannot be stored exactly as"
                                    + " sent.")
                    .with("errors", List.of(String.valueOf(e.getMessage()))));
        }
    }

    /**
     * The answer after Kafka's acknowledgement. {@code position} ({@code partition:offset} of the record
     * on checkpoints-in) is opaque to the flow; passed to the read it makes the read wait for this write.
     */
    private static HttpResponse<?> accepted(CheckpointRequest checkpoint, String position) {
        ObjectNode answer = Json.mapper().createObjectNode();
        answer.put("session_id", checkpoint.sessionId());
        answer.put("checkpoint_id", checkpoint.checkpointId());
        answer.put("sequence", checkpoint.sequence());
        answer.put("status", "accepted");
        answer.put("position", position);
        try {
            return HttpResponse.<byte[]>ok(Json.mapper().writeValueAsBytes(answer))
                    .contentType(MediaType.APPLICATION_JSON_TYPE);
        } catch (IOException e) {
            throw new IllegalStateException("an answer is always serializable", e);
        }
    }

    private MutableHttpResponse<byte[]> unavailable(HttpRequest<?> request, boolean indeterminate) {
        return BodyChecks.unavailable(
                request,
                indeterminate,
                "The outcome is unknown: the write to Kafka failed or timed out after the checkpoint may have"
                        + " been recorded. Retry the same checkpoint: a checkpoint whose sequence is not newer than"
                        + " the stored one is never stored over it.",
                "Nothing was recorded: Kafka could not take the checkpoint in time. Retry later.",
                settings.getRetryAfterSeconds());
    }

    private static MutableHttpResponse<byte[]> render(Problem problem, HttpRequest<?> request) {
        return problem.withInstance(request.getPath()).toResponse();
    }

    private static CompletableFuture<HttpResponse<?>> done(HttpResponse<?> response) {
        return CompletableFuture.completedFuture(response);
    }

    private static boolean wellFormedSession(String sessionId) {
        return sessionId != null
                && !sessionId.isBlank()
                && sessionId.length() <= MAX_SESSION_ID
                && Storable.problemWith(sessionId) == null;
    }
}
