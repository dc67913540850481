package io.splitguard.schemas.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.splitguard.schemas.json.Json;
import org.junit.jupiter.api.Test;

class MigrationsTest {

    private static JsonNode parse(String json) throws Exception {
        return Json.mapper().readTree(json);
    }

    private final Migrations table = Migrations.builder()
            .step(1, s -> s.rename("queue", "routing_queue")
                    .drop("scratch")
                    .defaultValue("auth_status", JsonNodeFactory.instance.textNode("unverified")))
            .step(2, s -> s.toNumber("retry_count").toText("crm_record_id"))
            .build();

    @Test
    void shouldRenameDropAndDefaultWhenOneStepLeadsToTheTarget() throws Exception {
        JsonNode stored = parse("{\"queue\":\"billing\",\"scratch\":42,\"retry_count\":\"2\"}");

        Migrations.Migrated migrated = table.migrate(stored, 1, 2).orElseThrow();

        assertThat(migrated.variables())
                .isEqualTo(
                        parse("{\"routing_queue\":\"billing\",\"auth_status\":\"unverified\",\"retry_count\":\"2\"}"));
        assertThat(migrated.path()).containsExactly(1, 2);
        assertThat(migrated.from()).isEqualTo(1);
        assertThat(stored)
                .as("the argument is not changed")
                .isEqualTo(parse("{\"queue\":\"billing\",\"scratch\":42,\"retry_count\":\"2\"}"));
    }

    @Test
    void shouldChainStepsAndChangeTypesWhenTwoStepsLeadToTheTarget() throws Exception {
        JsonNode stored = parse("{\"queue\":\"billing\",\"retry_count\":\"2\",\"crm_record_id\":449201,"
                + "\"auth_status\":\"verified\"}");

        Migrations.Migrated migrated = table.migrate(stored, 1, 3).orElseThrow();

        assertThat(migrated.variables())
                .isEqualTo(parse("{\"routing_queue\":\"billing\",\"retry_count\":2,\"crm_record_id\":\"449201\","
                        + "\"auth_status\":\"verified\"}"));
        assertThat(migrated.path()).containsExactly(1, 2, 3);
    }

    @Test
    void shouldFindNoPathWhenAStepIsMissingOrTheTargetIsOlder() throws Exception {
        JsonNode stored = parse("{\"a\":1}");

        assertThat(table.migrate(stored, 1, 4)).isEmpty();
        assertThat(table.migrate(stored, 3, 2)).as("only forward").isEmpty();
        assertThat(table.hasPath(1, 4)).isFalse();
        assertThat(table.hasPath(1, 3)).isTrue();
        assertThat(table.migrate(stored, 2, 2).orElseThrow().path()).containsExactly(2);
        assertThat(table.migrate(stored, 2, 2).orElseThrow().variables()).isEqualTo(stored);
    }

    @Test
    void shouldFindNoPathWhenATypeChangeCannotApply() throws Exception {
        assertThat(table.migrate(parse("{\"retry_count\":\"twice\"}"), 2, 3)).isEmpty();
        assertThat(table.migrate(parse("{\"crm_record_id\":{\"id\":1}}"), 2, 3)).isEmpty();
        assertThat(table.migrate(parse("{\"retry_count\":\"1e999999\"}"), 2, 3))
                .as("beyond jsonb")
                .isEmpty();
    }

    @Test
    void shouldFailTheRenameWhenTheTargetVariableExists() throws Exception {
        assertThat(table.migrate(parse("{\"queue\":\"a\",\"routing_queue\":\"b\"}"), 1, 2))
                .isEmpty();
    }

    @Test
    void shouldMigrateTheShippedIllustrativeStepWhenVersionOneIsServedAtTwo() throws Exception {
        Migrations.Migrated migrated = Migrations.DEFAULT
                .migrate(parse("{\"crm_id\":\"cust_1\",\"retry_count\":\"0\"}"), 1, 2)
                .orElseThrow();

        assertThat(migrated.variables())
                .isEqualTo(parse("{\"crm_record_id\":\"cust_1\",\"retry_count\":0,\"auth_status\":\"unverified\"}"));
    }

    @Test
    void shouldNameTheStepOperationAndVariableWhenExplainingAFailedMigration() throws Exception {
        Migrations.Failure text =
                table.explain(parse("{\"retry_count\":\"abc\"}"), 1, 3).orElseThrow();
        Migrations.Failure rename = table.explain(parse("{\"queue\":\"a\",\"routing_queue\":\"b\"}"), 1, 2)
                .orElseThrow();
        Migrations.Failure object =
                table.explain(parse("{\"crm_record_id\":{\"id\":1}}"), 2, 3).orElseThrow();

        assertThat(text.step()).isEqualTo(2);
        assertThat(text.operation()).isEqualTo("to_number");
        assertThat(text.variable()).isEqualTo("retry_count");
        assertThat(text.reason()).contains("retry_count").contains("not a number");
        assertThat(text.missingStep()).isFalse();
        assertThat(rename.operation()).isEqualTo("rename");
        assertThat(rename.variable()).isEqualTo("queue");
        assertThat(object.operation()).isEqualTo("to_text");
        assertThat(object.reason()).contains("an object");
    }

    @Test
    void shouldExplainAMissingStepAndNothingWhenTheMigrationSucceeds() throws Exception {
        JsonNode fine = parse("{\"queue\":\"billing\",\"retry_count\":\"2\"}");

        Migrations.Failure missing = table.explain(fine, 1, 4).orElseThrow();

        assertThat(missing.missingStep()).isTrue();
        assertThat(missing.step()).isEqualTo(3);
        assertThat(missing.reason()).isEqualTo("no migration step 3→4");
        assertThat(table.explain(fine, 1, 3)).isEmpty();
        assertThat(table.migrate(fine, 1, 3)).isPresent();
        assertThat(table.explain(fine, 3, 2).orElseThrow().missingStep()).isTrue();
    }

    @Test
    void shouldListEveryOperationOnThePathWhenDescribingAPath() {
        assertThat(table.describe(1, 3).orElseThrow())
                .containsExactly(
                        "1→2 rename queue to routing_queue",
                        "1→2 drop scratch",
                        "1→2 default auth_status to \"unverified\"",
                        "2→3 change retry_count to a number",
                        "2→3 change crm_record_id to a text");
        assertThat(table.describe(2, 2).orElseThrow()).isEmpty();
        assertThat(table.describe(1, 4)).isEmpty();
    }
}
