package io.splitguard.schemas.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.JsonSchemas;
import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.json.SchemaId;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.LeaseCommand;
import io.splitguard.schemas.model.LeaseDecision;
import io.splitguard.schemas.model.LeaseState;
import io.splitguard.schemas.model.LeaseView;
import io.splitguard.schemas.topics.TopicCatalog;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class LeaseContractTest {

    private static final Instant T = Instant.parse("2026-12-01T10:00:00Z");

    private static final JsonSerde<LeaseCommand> COMMANDS = JsonSerde.of(LeaseCommand.class, SchemaId.LEASE_COMMAND);
    private static final JsonSerde<LeaseDecision> DECISIONS =
            JsonSerde.of(LeaseDecision.class, SchemaId.LEASE_DECISION);

    private static byte[] bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldRoundTripEveryCommandTypeInSnakeCaseWhenWrittenAndRead() {
        LeaseCommand acquire =
                LeaseCommand.acquire("s1", "eu-west", Duration.ofSeconds(30), "crm_update", "c1", "r1", T);
        LeaseCommand heartbeat = LeaseCommand.heartbeat("s1", "tok", "r2", T);
        LeaseCommand release = LeaseCommand.release("s1", "tok", "r3", T);

        for (LeaseCommand command : new LeaseCommand[] {acquire, heartbeat, release}) {
            assertThat(COMMANDS.fromBytes(COMMANDS.toBytes(command))).isEqualTo(command);
        }
        JsonNode wire = Json.mapper().valueToTree(acquire);
        assertThat(wire.get("type").asText()).isEqualTo("acquire");
        assertThat(wire.get("lock_ttl_ms").asLong()).isEqualTo(30_000);
        assertThat(wire.get("region_origin").asText()).isEqualTo("eu-west");
        assertThat(wire.has("lock_token")).isFalse();
    }

    @Test
    void shouldRefuseCommandsMissingTheirTypesFieldsOrOutOfBoundsWhenRead() {
        assertThatThrownBy(
                        () -> COMMANDS.fromBytes(
                                bytes(
                                        "{\"type\":\"acquire\",\"resource_id\":\"s1\",\"request_id\":\"r\",\"received_at\":\"2026-01-01T00:00:00Z\"}")))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("schema");
        assertThatThrownBy(
                        () -> COMMANDS.fromBytes(
                                bytes(
                                        "{\"type\":\"heartbeat\",\"resource_id\":\"s1\",\"request_id\":\"r\",\"received_at\":\"2026-01-01T00:00:00Z\"}")))
                .isInstanceOf(SerializationException.class);
        assertThatThrownBy(() -> COMMANDS.fromBytes(bytes("{\"type\":\"acquire\",\"resource_id\":\"s1\","
                        + "\"region_origin\":\"eu\",\"lock_ttl_ms\":999,\"correlation_id\":\"c\","
                        + "\"request_id\":\"r\",\"received_at\":\"2026-01-01T00:00:00Z\"}")))
                .isInstanceOf(SerializationException.class);
        assertThatThrownBy(() -> COMMANDS.fromBytes(bytes("{\"type\":\"steal\",\"resource_id\":\"s1\","
                        + "\"request_id\":\"r\",\"received_at\":\"2026-01-01T00:00:00Z\"}")))
                .isInstanceOf(SerializationException.class);
        assertThatThrownBy(() -> LeaseCommand.acquire("s1", "eu", Duration.ofMinutes(11), null, "c", "r", T))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lock_ttl_ms");
    }

    @Test
    void shouldRoundTripAGrantWithItsOverriddenHolderWhenWrittenAndRead() {
        LeaseDecision granted = new LeaseDecision(
                "r1",
                "c1",
                "s1",
                LeaseCommand.Type.ACQUIRE,
                LeaseDecision.Outcome.GRANTED,
                "tok-2",
                42L,
                "us-east",
                T.plusSeconds(30),
                null,
                new LeaseDecision.PreviousHolder("eu-west", "tok-1", 7),
                T);
        LeaseDecision conflict = new LeaseDecision(
                "r2",
                "c2",
                "s1",
                LeaseCommand.Type.ACQUIRE,
                LeaseDecision.Outcome.CONFLICT,
                null,
                null,
                "us-east",
                T.plusSeconds(30),
                30_000L,
                null,
                T);

        assertThat(DECISIONS.fromBytes(DECISIONS.toBytes(granted))).isEqualTo(granted);
        assertThat(DECISIONS.fromBytes(DECISIONS.toBytes(conflict))).isEqualTo(conflict);
        JsonNode wire = Json.mapper().valueToTree(granted);
        assertThat(wire.get("outcome").asText()).isEqualTo("granted");
        assertThat(wire.get("overrode").get("fencing_token").asLong()).isEqualTo(7);
        assertThat(wire.has("succeeded")).isFalse();
        assertThat(Json.mapper().valueToTree(conflict).get("outcome").asText()).isEqualTo("conflict");
        assertThat(LeaseDecision.Outcome.NOT_HOLDER.wireName()).isEqualTo("not_holder");
        assertThat(granted.succeeded()).isTrue();
        assertThat(conflict.succeeded()).isFalse();
    }

    @Test
    void shouldRoundTripADescribeAndItsViewWithoutAnyLockTokenWhenWrittenAndRead() {
        LeaseCommand describe = LeaseCommand.describe("s1", "r9", T);
        LeaseView held = new LeaseView(
                LeaseView.State.HELD,
                "eu-west",
                42L,
                "crm_update",
                "c1",
                T,
                T.plusSeconds(5),
                T.plusSeconds(35),
                T.plusSeconds(20),
                null,
                null);
        LeaseDecision described = new LeaseDecision(
                "r9",
                "c1",
                "s1",
                LeaseCommand.Type.DESCRIBE,
                LeaseDecision.Outcome.DESCRIBED,
                null,
                42L,
                "eu-west",
                T.plusSeconds(35),
                null,
                null,
                T,
                held);

        assertThat(COMMANDS.fromBytes(COMMANDS.toBytes(describe))).isEqualTo(describe);
        assertThat(DECISIONS.fromBytes(DECISIONS.toBytes(described))).isEqualTo(described);
        JsonNode wire = Json.mapper().valueToTree(described);
        assertThat(wire.get("outcome").asText()).isEqualTo("described");
        assertThat(wire.get("lease").get("state").asText()).isEqualTo("held");
        assertThat(wire.get("lease").get("stale_at").asText()).isEqualTo("2026-12-01T10:00:20Z");
        assertThat(wire.toString()).doesNotContain("lock_token");
        assertThat(described.succeeded()).isTrue();
        assertThat(DECISIONS.fromBytes(DECISIONS.toBytes(new LeaseDecision(
                        "r8",
                        null,
                        "s2",
                        LeaseCommand.Type.DESCRIBE,
                        LeaseDecision.Outcome.DESCRIBED,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        T,
                        LeaseView.free()))))
                .extracting(LeaseDecision::lease)
                .isEqualTo(LeaseView.free());
        assertThatThrownBy(() -> new LeaseDecision(
                        "r7",
                        null,
                        "s1",
                        LeaseCommand.Type.DESCRIBE,
                        LeaseDecision.Outcome.DESCRIBED,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        T))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LeaseView(
                        LeaseView.State.COOLING, null, 3L, null, null, null, null, null, null, null, null))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void shouldRoundTripBothStateShapesThroughTheStoreSerdeWhenWrittenAndRead() {
        JsonSerde<LeaseState> serde = JsonSerde.unchecked(LeaseState.class);
        LeaseState held = LeaseState.granted("s1", 3, "eu-west", "tok", "c1", null, 30_000, T);
        LeaseState cooling = LeaseState.overridden(held, T.plusSeconds(5));

        assertThat(serde.fromBytes(serde.toBytes(held))).isEqualTo(held);
        assertThat(serde.fromBytes(serde.toBytes(cooling))).isEqualTo(cooling);
        assertThat(held.isHeld()).isTrue();
        assertThat(cooling.isHeld()).isFalse();
        assertThat(cooling.previous().lockToken()).isEqualTo("tok");
        assertThat(cooling.expiresAt()).isEqualTo(held.expiresAt());
        assertThat(serde.fromBytes(serde.toBytes(LeaseState.cooling("s1", 3, T))))
                .isEqualTo(LeaseState.cooling("s1", 3, T));
        assertThat(held.heartbeatAt(T.plusSeconds(10)).expiresAt()).isEqualTo(T.plusSeconds(40));
        assertThat(Json.mapper().valueToTree(held).has("held")).isFalse();
    }

    @Test
    void shouldCoPartitionTheLeaseTopicsWithTheSessionsWhenTheCatalogIsBuilt() {
        TopicCatalog catalog =
                TopicCatalog.builder().prefix("x.").sessionPartitions(5).build();

        assertThat(catalog.leaseCommands.name()).isEqualTo("x.lease-commands");
        assertThat(catalog.leaseDecisions.name()).isEqualTo("x.lease-decisions");
        assertThat(catalog.leaseCommands.partitions())
                .isEqualTo(catalog.leaseDecisions.partitions())
                .isEqualTo(catalog.mutationsIn.partitions());
        assertThat(catalog.leaseCommands.configs())
                .containsEntry("message.timestamp.type", "LogAppendTime")
                .containsEntry("retention.ms", catalog.checkpointsIn.configs().get("retention.ms"));
        assertThat(catalog.leaseDecisions.configs()).containsEntry("retention.ms", "3600000");
        assertThat(catalog.all()).contains(catalog.leaseCommands, catalog.leaseDecisions);
        assertThat(catalog.sessionTopics()).contains(catalog.leaseCommands, catalog.leaseDecisions);
    }

    @Test
    void shouldAcceptTheLeaseAuditDecisionsInTheAuditSchemaWhenWritten() throws Exception {
        AuditRecord overridden = new AuditRecord(
                AuditRecord.Decision.LEASE_OVERRIDDEN, "s1", "r1", null, null, 7L, T, "holder_region=eu-west");
        JsonNode written = Json.mapper().valueToTree(overridden);

        assertThat(written.get("decision").asText()).isEqualTo("lease_overridden");
        assertThat(JsonSchemas.get().violations(SchemaId.AUDIT_RECORD, written)).isEmpty();
        assertThat(Json.mapper().treeToValue(written, AuditRecord.class)).isEqualTo(overridden);
    }
}
