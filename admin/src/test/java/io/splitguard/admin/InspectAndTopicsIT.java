package io.splitguard.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.testsupport.SharedInfra;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code inspect} (one session's history, in order) and {@code topics validate}. */
@ExtendWith(SharedInfra.class)
class InspectAndTopicsIT {

    @Test
    void shouldShowOneSessionsDecisionsMutationsAndTheSinksRefusalsInOrder() throws Exception {
        try (AdminTestKit kit = new AdminTestKit("inspect")) {
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            for (long seq = 1; seq <= 2; seq++) {
                SequencedMutation m = AdminTestKit.mutation("s-alpha", seq, "a" + seq, null);
                records.add(audit(
                        kit,
                        new AuditRecord(
                                AuditRecord.Decision.APPLIED,
                                "s-alpha",
                                m.requestId(),
                                m.scopedKey(),
                                m.payloadHash(),
                                seq,
                                m.appliedAt(),
                                null)));
                records.add(kit.record(m));
            }
            records.add(kit.record(AdminTestKit.mutation("s-other", 1, "o1", null)));
            kit.commit(records);
            // the key a1 comes back with a new sequence: the sink refuses it and audits the refusal
            kit.commit(List.of(kit.record(AdminTestKit.mutation("s-alpha", 3, "a1", null))));
            kit.startSink();
            kit.awaitSink(3, 1, 0);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> kit.run("inspect", "s-alpha").out().contains("refused"));

            AdminTestKit.Run text = kit.run("inspect", "s-alpha");
            AdminTestKit.Run json = kit.run("inspect", "s-alpha", "--json");

            assertThat(text.exitCode()).isZero();
            assertThat(text.out())
                    .contains("session s-alpha")
                    .contains("6 record(s)")
                    .contains("duplicate_key");
            assertThat(text.out()).doesNotContain("o1");
            JsonNode entries = Json.mapper().readTree(json.out());
            assertThat(entries).hasSize(6);
            List<String> mutations = new ArrayList<>();
            List<String> decisions = new ArrayList<>();
            for (JsonNode e : entries) {
                assertThat(e.path("value").path("session_id").asText()).isEqualTo("s-alpha");
                if (e.path("source").asText().equals("mutations")) {
                    mutations.add(e.path("value").path("sequence").asText());
                } else {
                    decisions.add(e.path("value").path("decision").asText());
                }
            }
            assertThat(mutations).containsExactly("1", "2", "3");
            assertThat(decisions).containsExactly("applied", "applied", "refused");
            assertThat(entries.get(5).path("value").path("decision").asText()).isEqualTo("refused");
        }
    }

    @Test
    void shouldValidateTopicsAgainstTheCatalogAndNameEveryDifference() throws Exception {
        try (AdminTestKit kit = new AdminTestKit("topics")) {
            AdminTestKit.Run valid = kit.run("topics", "validate");
            AdminTestKit.Run otherHorizon =
                    kit.run("topics", "validate", "-E", CommonSettings.REPLAY_HORIZON + "=P30D");
            AdminTestKit.Run otherPrefix = kit.run("topics", "validate", "--topic-prefix", kit.name + "-none.");

            assertThat(valid.exitCode()).as(valid.out()).isZero();
            assertThat(valid.out()).contains("all " + kit.catalog.all().size() + " topics match");
            assertThat(otherHorizon.exitCode()).isEqualTo(1);
            assertThat(otherHorizon.out())
                    .contains(kit.catalog.mutations.name() + ": retention.ms is -1, the catalog says 2592000000");
            assertThat(otherPrefix.exitCode()).isEqualTo(1);
            assertThat(otherPrefix.out()).contains(kit.name + "-none.mutations: missing");

            try (Admin admin = new AdminSettings(kit.env).admin()) {
                admin.incrementalAlterConfigs(Map.of(
                                new ConfigResource(ConfigResource.Type.TOPIC, kit.catalog.mutations.name()),
                                List.of(new AlterConfigOp(
                                        new ConfigEntry("retention.ms", "604800000"), AlterConfigOp.OpType.SET))))
                        .all()
                        .get();
            }
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> kit.run("topics", "validate").exitCode() == 1);
            assertThat(kit.run("topics", "validate").out())
                    .contains(kit.catalog.mutations.name() + ": retention.ms is 604800000, the catalog says -1");
        }
    }

    private static ProducerRecord<byte[], byte[]> audit(AdminTestKit kit, AuditRecord record) {
        return new ProducerRecord<>(
                kit.catalog.audit.name(),
                record.sessionId().getBytes(StandardCharsets.UTF_8),
                kit.catalog.audit.valueSerde().serializer().serialize(kit.catalog.audit.name(), record));
    }
}
