package io.splitguard.gateway.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.splitguard.schemas.checkpoint.Migrations;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.StoredCheckpoint;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RestoreTest {

    private static StoredCheckpoint stored(int schemaVersion, String flowVersion, String variables) throws IOException {
        Instant at = Instant.parse("2026-05-15T14:32:00Z");
        return new StoredCheckpoint(
                "sess-1",
                "eu-west-1",
                "chk_7",
                7,
                schemaVersion,
                flowVersion,
                Json.mapper().readTree(variables),
                3600,
                "req-1",
                at,
                at,
                at.plusSeconds(3600),
                0,
                5);
    }

    private static ObjectNode answer(CheckpointLookup.Found found, Integer schema, List<String> retired) {
        return Restore.answer(found, Optional.ofNullable(schema), retired, Migrations.DEFAULT);
    }

    @Test
    void shouldFallBackToDefaultsWhenNoneOrExpired() {
        for (String reason : List.of("none", "expired")) {
            ObjectNode a = answer(new CheckpointLookup.Absent(reason), 1, List.of());
            assertThat(a.path("restore").asBoolean()).isFalse();
            assertThat(a.path("reason").asText()).isEqualTo(reason);
            assertThat(a.path("fallback").asText()).isEqualTo("initialize_defaults");
        }
    }

    @Test
    void shouldRestoreUnchangedWithoutMigratedFromWhenTheVersionsAgree() throws IOException {
        ObjectNode a =
                answer(new CheckpointLookup.Present(stored(2, "f-7", "{\"queue\":\"billing\"}")), null, List.of());

        assertThat(a.path("restore").asBoolean()).isTrue();
        assertThat(a.path("schema_version").asInt()).isEqualTo(2);
        assertThat(a.path("variables")).isEqualTo(Json.mapper().readTree("{\"queue\":\"billing\"}"));
        assertThat(a.path("sequence").asLong()).isEqualTo(7);
        assertThat(a.has("migrated_from")).isFalse();
    }

    @Test
    void shouldMigrateForwardAndSayFromWhichVersionWhenAPathExists() throws IOException {
        ObjectNode a = answer(
                new CheckpointLookup.Present(stored(1, null, "{\"crm_id\":\"c-1\",\"retry_count\":\"3\"}")),
                2,
                List.of());

        assertThat(a.path("restore").asBoolean()).isTrue();
        assertThat(a.path("migrated_from").asInt()).isEqualTo(1);
        assertThat(a.path("schema_version").asInt()).isEqualTo(2);
        JsonNode expected =
                Json.mapper().readTree("{\"crm_record_id\":\"c-1\",\"retry_count\":3,\"auth_status\":\"unverified\"}");
        assertThat(a.path("variables")).isEqualTo(expected);
    }

    @Test
    void shouldAnswerSchemaIncompatibleWhenNoPathLeadsToTheRequestedVersion() throws IOException {
        for (int requested : new int[] {1, 3}) {
            ObjectNode a = answer(new CheckpointLookup.Present(stored(2, null, "{}")), requested, List.of());
            assertThat(a.path("reason").asText()).as("to " + requested).isEqualTo("schema_incompatible");
            assertThat(a.path("fallback").asText()).isEqualTo("initialize_defaults");
        }
    }

    @Test
    void shouldRouteToAnAgentWhenTheCheckpointsFlowVersionIsRetired() throws IOException {
        ObjectNode a = answer(new CheckpointLookup.Present(stored(1, "f-3", "{}")), 1, List.of("f-3"));

        assertThat(a.path("restore").asBoolean()).isFalse();
        assertThat(a.path("reason").asText()).isEqualTo("flow_version_retired");
        assertThat(a.path("fallback").asText()).isEqualTo("route_to_agent");
    }
}
