package io.splitguard.admin;

import static io.splitguard.admin.AdminTestKit.checkpoint;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.testsupport.SharedInfra;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code flow-release check} against the real checkpoints topic: the latest value per session, tombstones
 * and expired checkpoints left out, the shipped migration table applied to the rest.
 */
@ExtendWith(SharedInfra.class)
class FlowReleaseIT {

    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.MILLIS);

    @Test
    void shouldCountMigratableCheckpointsAndNameTheFailingSessionsWhenSomeCannotMigrate() throws Exception {
        try (AdminTestKit kit = new AdminTestKit("flow-release")) {
            String topic = kit.catalog.checkpoints.name();
            kit.commit(List.of(
                    kit.record(checkpoint("s-clean-1", 1, "f-1", "{\"crm_id\":\"c1\",\"retry_count\":\"2\"}", NOW)),
                    kit.record(checkpoint("s-clean-2", 1, "f-1", "{\"retry_count\":3}", NOW)),
                    kit.record(checkpoint("s-clean-3", 1, "f-1", "{\"auth_status\":\"verified\"}", NOW)),
                    kit.record(checkpoint("s-text", 1, "f-1", "{\"retry_count\":\"abc\"}", NOW)),
                    kit.record(checkpoint("s-other-flow", 1, "f-9", "{\"retry_count\":\"many\"}", NOW)),
                    // removed: a tombstone follows
                    kit.record(checkpoint("s-tombstoned", 1, "f-1", "{\"retry_count\":\"abc\"}", NOW)),
                    kit.tombstone(topic, "s-tombstoned"),
                    // expired an hour ago, not purged yet
                    kit.record(checkpoint(
                            "s-expired", 1, "f-1", "{\"retry_count\":\"abc\"}", NOW.minus(2, ChronoUnit.HOURS))),
                    // superseded by a checkpoint of schema 2
                    kit.record(checkpoint("s-upgraded", 1, "f-1", "{\"retry_count\":\"abc\"}", NOW)),
                    kit.record(checkpoint("s-upgraded", 2, "f-2", "{\"retry_count\":1}", NOW.plusSeconds(1))),
                    // the other way round: the latest is of schema 1 and fails
                    kit.record(checkpoint("s-downgraded", 2, "f-2", "{\"retry_count\":1}", NOW)),
                    kit.record(checkpoint("s-downgraded", 1, "f-1", "{\"retry_count\":\"x\"}", NOW.plusSeconds(1)))));

            AdminTestKit.Run all = kit.run("flow-release", "check", "--from-schema", "1", "--to-schema", "2");
            AdminTestKit.Run oneFlow = kit.run(
                    "flow-release",
                    "check",
                    "--from-schema",
                    "1",
                    "--to-schema",
                    "2",
                    "--flow-version",
                    "f-1",
                    "--json");
            AdminTestKit.Run limited =
                    kit.run("flow-release", "check", "--from-schema", "1", "--to-schema", "2", "--max-sessions", "1");

            assertThat(all.exitCode()).as(all.err()).isEqualTo(1);
            assertThat(all.out())
                    .contains("path 1→2 exists")
                    .contains("1→2 change retry_count to a number")
                    .contains("stored checkpoints of schema 1 in " + topic + ": 6 live (1 expired, not counted)")
                    .contains("migrate cleanly: 3")
                    .contains("cannot be served: 3")
                    .contains("variable retry_count, step 1→2 to_number")
                    .contains("sessions: s-downgraded, s-other-flow, s-text")
                    .doesNotContain("s-tombstoned")
                    .doesNotContain("s-expired")
                    .doesNotContain("s-upgraded")
                    .contains("result: NOT servable");

            assertThat(oneFlow.exitCode()).as(oneFlow.err()).isEqualTo(1);
            JsonNode report = Json.mapper().readTree(oneFlow.out());
            assertThat(report.path("checkpoints").asInt()).isEqualTo(5);
            assertThat(report.path("migratable").asInt()).isEqualTo(3);
            assertThat(report.path("failing").asInt()).isEqualTo(2);
            assertThat(report.path("expired").asInt()).isEqualTo(1);
            assertThat(report.path("servable").asBoolean()).isFalse();
            JsonNode failure = report.path("failures").get(0);
            assertThat(failure.path("variable").asText()).isEqualTo("retry_count");
            assertThat(failure.path("operation").asText()).isEqualTo("to_number");
            assertThat(failure.path("step").asText()).isEqualTo("1→2");
            assertThat(failure.path("session_ids"))
                    .extracting(JsonNode::asText)
                    .containsExactly("s-downgraded", "s-text");

            assertThat(limited.out()).contains("sessions: s-downgraded ...");

            AdminTestKit.Run upgraded =
                    kit.run("flow-release", "check", "--from-schema", "2", "--to-schema", "2", "--json");
            assertThat(upgraded.exitCode()).as(upgraded.err()).isZero();
            JsonNode same = Json.mapper().readTree(upgraded.out());
            assertThat(same.path("checkpoints").asInt()).as("s-upgraded only").isEqualTo(1);
            assertThat(same.path("servable").asBoolean()).isTrue();
        }
    }

    @Test
    void shouldFailEveryCheckpointWithNoPathWhenTheTargetSchemaIsBeyondTheTable() throws Exception {
        try (AdminTestKit kit = new AdminTestKit("flow-release-no-path")) {
            kit.commit(List.of(
                    kit.record(checkpoint("s-a", 1, "f-1", "{\"retry_count\":1}", NOW)),
                    kit.record(checkpoint("s-b", 1, "f-1", "{\"crm_id\":\"c\"}", NOW))));

            AdminTestKit.Run run = kit.run("flow-release", "check", "--from-schema", "1", "--to-schema", "3");
            AdminTestKit.Run json =
                    kit.run("flow-release", "check", "--from-schema", "1", "--to-schema", "3", "--json");

            assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
            assertThat(run.out())
                    .contains("no migration path 1→3")
                    .contains("2 live")
                    .contains("migrate cleanly: 0")
                    .contains("cannot be served: 2")
                    .contains("sessions: s-a, s-b");
            assertThat(json.exitCode()).isEqualTo(1);
            JsonNode report = Json.mapper().readTree(json.out());
            assertThat(report.path("path_exists").asBoolean()).isFalse();
            assertThat(report.path("failing").asInt()).isEqualTo(2);
            assertThat(report.path("failures").get(0).path("reason").asText()).startsWith("no migration path 1→3");
        }
    }
}
