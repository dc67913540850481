package io.splitguard.admin;

import static io.splitguard.admin.AdminTestKit.checkpoint;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.splitguard.schemas.checkpoint.Migrations;
import io.splitguard.schemas.json.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code flow-release check --static} (no broker) and the check itself over checkpoints in memory. */
class FlowReleaseCheckTest {

    private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");

    private final Migrations table = Migrations.builder()
            .step(1, s -> s.rename("queue", "routing_queue").drop("scratch"))
            .step(2, s -> s.toNumber("retry_count")
                    .defaultValue("auth_status", JsonNodeFactory.instance.textNode("unverified")))
            .build();

    private record Result(int exitCode, String out) {}

    /** Runs the tool with no environment at all: no broker, no database. */
    private Result run(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = SplitGuardAdmin.commandLine(Map.of(), table);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        return new Result(cl.execute(args), out.toString());
    }

    @Test
    void shouldListThePathsOperationsWithoutABrokerWhenStaticAndAPathExists() throws Exception {
        Result text = run("flow-release", "check", "--from-schema", "1", "--to-schema", "3", "--static");
        Result json = run("flow-release", "check", "--from-schema", "1", "--to-schema", "3", "--static", "--json");

        assertThat(text.exitCode()).isZero();
        assertThat(text.out())
                .contains("path 1→3 exists: 4 operation(s)")
                .contains("1→2 rename queue to routing_queue")
                .contains("1→2 drop scratch")
                .contains("2→3 change retry_count to a number")
                .contains("2→3 default auth_status to \"unverified\"")
                .doesNotContain("stored checkpoints");
        JsonNode report = Json.mapper().readTree(json.out());
        assertThat(json.exitCode()).isZero();
        assertThat(report.path("path_exists").asBoolean()).isTrue();
        assertThat(report.path("operations")).hasSize(4);
        assertThat(report.has("checkpoints")).as("nothing was read").isFalse();
    }

    @Test
    void shouldExitOneAndNameTheMissingStepWhenStaticAndNoPathExists() throws Exception {
        Result beyond = run("flow-release", "check", "--from-schema", "1", "--to-schema", "4", "--static");
        Result backwards = run("flow-release", "check", "--from-schema", "3", "--to-schema", "2", "--static", "--json");

        assertThat(beyond.exitCode()).isEqualTo(1);
        assertThat(beyond.out()).contains("no migration path 1→4 (no migration step 3→4)");
        assertThat(backwards.exitCode()).isEqualTo(1);
        assertThat(Json.mapper()
                        .readTree(backwards.out())
                        .path("no_path_reason")
                        .asText())
                .startsWith("no migration path 3→2");
    }

    @Test
    void shouldUseTheShippedTableWhenNoneIsGiven() {
        StringWriter out = new StringWriter();
        CommandLine cl = SplitGuardAdmin.commandLine(Map.of());
        cl.setOut(new PrintWriter(out, true));

        int code = cl.execute("flow-release", "check", "--from-schema", "1", "--to-schema", "2", "--static");

        assertThat(code).isZero();
        assertThat(out.toString()).contains("1→2 rename crm_id to crm_record_id");
    }

    @Test
    void shouldCountOnlyLiveCheckpointsOfTheVersionAndFlowsAskedForWhenCheckingStoredOnes() {
        ReleaseCheck check = new ReleaseCheck(table, 1, 3, List.of("f-1"));

        ReleaseCheck.Report report = check.report(
                List.of(
                        checkpoint("s-ok", 1, "f-1", "{\"queue\":\"billing\",\"retry_count\":\"2\"}", NOW),
                        checkpoint("s-text-1", 1, "f-1", "{\"retry_count\":\"abc\"}", NOW),
                        checkpoint("s-text-2", 1, "f-1", "{\"retry_count\":\"def\"}", NOW),
                        checkpoint("s-both", 1, "f-1", "{\"queue\":\"a\",\"routing_queue\":\"b\"}", NOW),
                        checkpoint("s-expired", 1, "f-1", "{\"retry_count\":\"abc\"}", NOW.minusSeconds(3600)),
                        checkpoint("s-schema-2", 2, "f-1", "{\"retry_count\":\"abc\"}", NOW),
                        checkpoint("s-flow-2", 1, "f-2", "{\"retry_count\":\"abc\"}", NOW)),
                NOW,
                1,
                0);

        assertThat(report.checkpoints()).isEqualTo(4);
        assertThat(report.expired()).isEqualTo(1);
        assertThat(report.migratable()).isEqualTo(1);
        assertThat(report.failing()).isEqualTo(3);
        assertThat(report.servable()).isFalse();
        assertThat(report.failures()).hasSize(2);
        ReleaseCheck.FailureGroup first = report.failures().get(0);
        assertThat(first.cause().variable()).isEqualTo("retry_count");
        assertThat(first.count()).isEqualTo(2);
        assertThat(first.sessionIds()).as("at most the limit").containsExactly("s-text-1");
        assertThat(report.failures().get(1).cause().operation()).isEqualTo("rename");
    }

    @Test
    void shouldBeServableWhenNothingIsStoredAndAPathExists() {
        assertThat(new ReleaseCheck(table, 1, 2, List.of())
                        .report(List.of(), NOW, 10, 0)
                        .servable())
                .isTrue();
        assertThat(new ReleaseCheck(table, 1, 4, List.of())
                        .report(List.of(), NOW, 10, 0)
                        .servable())
                .as("no path: checkpoints written until the release could not be served")
                .isFalse();
    }
}
