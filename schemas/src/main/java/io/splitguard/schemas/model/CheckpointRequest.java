package io.splitguard.schemas.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.schemas.json.Storable;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A flow checkpoint the gateway accepted: what it writes to the checkpoints-in topic, keyed by session
 * id, before answering 2xx. The checkpoint topology keeps the one with the highest {@code sequence} per
 * session (a checkpoint never regresses).
 *
 * @param sessionId the session, also the record key
 * @param region the region whose flow wrote the checkpoint
 * @param checkpointId the flow's id of the checkpoint (e.g. {@code chk_1715788320})
 * @param variables the routing variables, a JSON object storable in PostgreSQL {@code jsonb}
 * @param ttlSeconds lifetime, {@value #MIN_TTL_SECONDS}..{@value #MAX_TTL_SECONDS} s; absent: {@value
 *     #DEFAULT_TTL_SECONDS}. Counted from when the checkpoint topology stores it, on its clock.
 * @param schemaVersion version of the variables' schema (the migration table's key); absent: 1
 * @param flowVersion the flow release that wrote it, if the flow says
 * @param sequence orders the session's checkpoints; absent: the last run of digits in {@code
 *     checkpointId} ({@link #sequenceOf}). Neither: the request is invalid.
 * @param requestId the gateway's id of the request
 * @param receivedAt when the gateway received it. Informational only: it decides no TTL or order.
 */
public record CheckpointRequest(
        String sessionId,
        String region,
        String checkpointId,
        JsonNode variables,
        Integer ttlSeconds,
        Integer schemaVersion,
        String flowVersion,
        Long sequence,
        String requestId,
        Instant receivedAt) {

    public static final int DEFAULT_TTL_SECONDS = 3600;
    public static final int MIN_TTL_SECONDS = 1;
    public static final int MAX_TTL_SECONDS = (int) Duration.ofDays(7).toSeconds();
    public static final int DEFAULT_SCHEMA_VERSION = 1;

    private static final Pattern DIGITS = Pattern.compile("[0-9]+");

    /** Fills the defaults ({@code ttl_seconds}, {@code schema_version}, {@code sequence}) and checks the rest. */
    public CheckpointRequest {
        Objects.requireNonNull(sessionId, "session_id");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(checkpointId, "checkpoint_id");
        Objects.requireNonNull(variables, "variables");
        Objects.requireNonNull(requestId, "request_id");
        Objects.requireNonNull(receivedAt, "received_at");
        if (!variables.isObject()) {
            throw new IllegalArgumentException("variables must be a JSON object");
        }
        ttlSeconds = ttlSeconds == null ? DEFAULT_TTL_SECONDS : ttlSeconds;
        if (ttlSeconds < MIN_TTL_SECONDS || ttlSeconds > MAX_TTL_SECONDS) {
            throw new IllegalArgumentException(
                    "ttl_seconds must be within " + MIN_TTL_SECONDS + ".." + MAX_TTL_SECONDS + ", was " + ttlSeconds);
        }
        schemaVersion = schemaVersion == null ? DEFAULT_SCHEMA_VERSION : schemaVersion;
        if (schemaVersion < 1) {
            throw new IllegalArgumentException("schema_version must be >= 1, was " + schemaVersion);
        }
        if (sequence == null) {
            OptionalLong derived = sequenceOf(checkpointId);
            if (derived.isEmpty()) {
                throw new IllegalArgumentException(
                        "no sequence given and checkpoint_id '" + checkpointId + "' holds no number to take it from");
            }
            sequence = derived.getAsLong();
        }
        if (sequence < 0) {
            throw new IllegalArgumentException("sequence must be >= 0, was " + sequence);
        }
        for (String text : new String[] {sessionId, region, checkpointId, flowVersion}) {
            String problem = text == null ? null : Storable.problemWith(text);
            if (problem != null) {
                throw new IllegalArgumentException("a checkpoint field " + problem);
            }
        }
        List<String> unstorable = Storable.violations(variables);
        if (!unstorable.isEmpty()) {
            throw new IllegalArgumentException("variables cannot be stored: " + unstorable);
        }
    }

    /**
     * The sequence a checkpoint id implies: its last run of digits ({@code chk_1715788320} →
     * 1715788320); empty when it holds none or the number does not fit a long.
     */
    public static OptionalLong sequenceOf(String checkpointId) {
        Matcher m = DIGITS.matcher(checkpointId);
        String last = null;
        while (m.find()) {
            last = m.group();
        }
        if (last == null) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(last));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** This checkpoint with the top-level variables named in {@code excluded} removed. */
    public CheckpointRequest withoutVariables(Collection<String> excluded) {
        if (excluded.stream().noneMatch(variables::has)) {
            return this;
        }
        ObjectNode kept = ((ObjectNode) variables).deepCopy();
        kept.remove(excluded);
        return new CheckpointRequest(
                sessionId,
                region,
                checkpointId,
                kept,
                ttlSeconds,
                schemaVersion,
                flowVersion,
                sequence,
                requestId,
                receivedAt);
    }
}
