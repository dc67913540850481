package io.splitguard.gateway.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.schemas.checkpoint.Migrations;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.StoredCheckpoint;
import java.util.Collection;
import java.util.Optional;

/**
 * The answer of {@code GET .../state/latest}, decided from what the checkpoint topology holds: {@code
 * restore: true} with the (migrated) variables, or {@code restore: false} with a {@code reason} and the
 * {@code fallback} the flow should take. Pure: no I/O, no clock (expiry was decided by the topology).
 */
public final class Restore {

    public static final String INITIALIZE_DEFAULTS = "initialize_defaults";
    public static final String ROUTE_TO_AGENT = "route_to_agent";

    private Restore() {}

    /**
     * @param requestedSchema the schema version the flow reads (absent: the stored one)
     * @param retiredFlowVersions flow versions whose checkpoints are never restored
     */
    public static ObjectNode answer(
            CheckpointLookup.Found found,
            Optional<Integer> requestedSchema,
            Collection<String> retiredFlowVersions,
            Migrations migrations) {
        if (found instanceof CheckpointLookup.Absent absent) {
            return refuse(absent.reason(), INITIALIZE_DEFAULTS);
        }
        StoredCheckpoint stored = ((CheckpointLookup.Present) found).checkpoint();
        if (stored.flowVersion() != null && retiredFlowVersions.contains(stored.flowVersion())) {
            return refuse("flow_version_retired", ROUTE_TO_AGENT);
        }
        int target = requestedSchema.orElse(stored.schemaVersion());
        Optional<Migrations.Migrated> migrated = migrations.migrate(stored.variables(), stored.schemaVersion(), target);
        if (migrated.isEmpty()) {
            return refuse("schema_incompatible", INITIALIZE_DEFAULTS);
        }
        ObjectNode answer = Json.mapper().createObjectNode();
        answer.put("restore", true);
        answer.put("session_id", stored.sessionId());
        answer.put("checkpoint_id", stored.checkpointId());
        answer.put("sequence", stored.sequence());
        answer.put("schema_version", target);
        answer.set("variables", (JsonNode) migrated.get().variables());
        answer.put("region", stored.region());
        if (stored.flowVersion() != null) {
            answer.put("flow_version", stored.flowVersion());
        }
        if (target != stored.schemaVersion()) {
            answer.put("migrated_from", stored.schemaVersion());
        }
        return answer;
    }

    private static ObjectNode refuse(String reason, String fallback) {
        ObjectNode answer = Json.mapper().createObjectNode();
        answer.put("restore", false);
        answer.put("reason", reason);
        answer.put("fallback", fallback);
        return answer;
    }
}
