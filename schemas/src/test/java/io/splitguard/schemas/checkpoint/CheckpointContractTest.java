package io.splitguard.schemas.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.JsonSchemas;
import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.json.SchemaId;
import io.splitguard.schemas.model.AuditRecord;
import io.splitguard.schemas.model.CheckpointRequest;
import io.splitguard.schemas.model.StoredCheckpoint;
import io.splitguard.schemas.topics.TopicCatalog;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class CheckpointContractTest {

    /** The guide's checkpoint body, as the gateway writes it to checkpoints-in. */
    private static final String GUIDE_CHECKPOINT =
            """
            {"session_id":"session_8f4a2c91-e5b7-4d3a-9c12-7f8e3b2a1d00","region":"eu-west-1",
             "checkpoint_id":"chk_1715788320",
             "variables":{"routing_queue":"billing_support_priority","crm_record_id":"cust_449201",
                          "auth_status":"verified","retry_count":0,"last_menu_selection":"billing_options"},
             "ttl_seconds":3600,"request_id":"r1","received_at":"2024-05-15T14:32:00Z"}""";

    private final JsonSerde<CheckpointRequest> serde =
            JsonSerde.of(CheckpointRequest.class, SchemaId.CHECKPOINT_REQUEST);

    private static JsonNode parse(String json) throws Exception {
        return Json.mapper().readTree(json);
    }

    private static byte[] bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldTakeTheSequenceFromTheCheckpointIdAndFillDefaultsWhenTheyAreAbsent() {
        CheckpointRequest request = serde.fromBytes(bytes(GUIDE_CHECKPOINT));

        assertThat(request.sequence()).isEqualTo(1715788320L);
        assertThat(request.schemaVersion()).isEqualTo(1);
        assertThat(request.ttlSeconds()).isEqualTo(3600);
        assertThat(request.flowVersion()).isNull();
        assertThat(serde.fromBytes(serde.toBytes(request))).isEqualTo(request);
        assertThat(serde.fromBytes(bytes(GUIDE_CHECKPOINT.replace("\"ttl_seconds\":3600,", "")))
                        .ttlSeconds())
                .isEqualTo(CheckpointRequest.DEFAULT_TTL_SECONDS);
    }

    @Test
    void shouldPreferAnExplicitSequenceWhenOneIsGiven() {
        CheckpointRequest request = serde.fromBytes(bytes(GUIDE_CHECKPOINT.replace(
                "\"ttl_seconds\":3600",
                "\"ttl_seconds\":3600,\"sequence\":7,\"schema_version\":2,\"flow_version\":\"v9\"")));

        assertThat(request.sequence()).isEqualTo(7L);
        assertThat(request.schemaVersion()).isEqualTo(2);
        assertThat(request.flowVersion()).isEqualTo("v9");
    }

    @Test
    void shouldDeriveTheSequenceFromTheLastRunOfDigitsWhenTheIdHasOne() {
        assertThat(CheckpointRequest.sequenceOf("chk_1715788320")).hasValue(1715788320L);
        assertThat(CheckpointRequest.sequenceOf("flow7_chk_42")).hasValue(42L);
        assertThat(CheckpointRequest.sequenceOf("chk_final")).isEmpty();
        assertThat(CheckpointRequest.sequenceOf("chk_99999999999999999999999")).isEmpty();
    }

    @Test
    void shouldRefuseACheckpointWhenItHasNoSequenceAtAllOrIsOutOfBounds() {
        String noNumber = GUIDE_CHECKPOINT.replace("chk_1715788320", "chk_final");
        assertThatThrownBy(() -> serde.fromBytes(bytes(noNumber)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("schema");
        assertThatThrownBy(() -> JsonSerde.unchecked(CheckpointRequest.class).fromBytes(bytes(noNumber)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("no sequence");
        assertThatThrownBy(() -> serde.fromBytes(bytes(GUIDE_CHECKPOINT.replace("3600", "0"))))
                .isInstanceOf(SerializationException.class);
        assertThatThrownBy(() -> serde.fromBytes(bytes(GUIDE_CHECKPOINT.replace("3600", "604801"))))
                .isInstanceOf(SerializationException.class);
        assertThatThrownBy(() -> serde.fromBytes(
                        bytes(GUIDE_CHECKPOINT.replace("\"retry_count\":0", "\"retry_count\":\"a\\u0000b\""))))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("U+0000");
        assertThatThrownBy(() -> serde.fromBytes(bytes("{\"session_id\":\"s\"}")))
                .isInstanceOf(SerializationException.class);
    }

    @Test
    void shouldDropOnlyTheNamedTopLevelVariablesWhenExcluding() throws Exception {
        CheckpointRequest request = serde.fromBytes(bytes(GUIDE_CHECKPOINT));

        CheckpointRequest kept = request.withoutVariables(TransientVariables.DEFAULTS);

        assertThat(kept.variables())
                .isEqualTo(parse("{\"routing_queue\":\"billing_support_priority\",\"crm_record_id\":\"cust_449201\","
                        + "\"auth_status\":\"verified\",\"retry_count\":0}"));
        assertThat(request.variables().has("last_menu_selection"))
                .as("the original is unchanged")
                .isTrue();
        assertThat(kept.withoutVariables(TransientVariables.DEFAULTS)).isSameAs(kept);
    }

    @Test
    void shouldComputeExpiryFromTheStoringClockAndRoundTripWhenStored() {
        CheckpointRequest request = serde.fromBytes(bytes(GUIDE_CHECKPOINT));
        Instant storedAt = Instant.parse("2026-12-03T10:00:00Z");

        StoredCheckpoint stored = StoredCheckpoint.accepted(request, 60, storedAt, 3, 17);
        JsonSerde<StoredCheckpoint> storedSerde = JsonSerde.of(StoredCheckpoint.class, SchemaId.STORED_CHECKPOINT);

        assertThat(stored.expiresAt()).isEqualTo(storedAt.plusSeconds(60));
        assertThat(stored.isExpiredAt(storedAt.plusSeconds(59))).isFalse();
        assertThat(stored.isExpiredAt(storedAt.plusSeconds(60))).isTrue();
        assertThat(storedSerde.fromBytes(storedSerde.toBytes(stored))).isEqualTo(stored);
        assertThat(stored.receivedAt())
                .as("the sender's stamp is kept, not used")
                .isEqualTo(Instant.parse("2024-05-15T14:32:00Z"));
    }

    @Test
    void shouldListEveryAuditDecisionInTheSchemaWhenTheEnumGrows() throws Exception {
        List<String> wire = Arrays.stream(AuditRecord.Decision.values())
                .map(AuditRecord.Decision::wireName)
                .toList();
        JsonNode enumInSchema = Json.mapper()
                .readTree(getClass().getResourceAsStream(SchemaId.AUDIT_RECORD.resource()))
                .at("/properties/decision/enum");

        assertThat(enumInSchema).extracting(JsonNode::asText).containsExactlyInAnyOrderElementsOf(wire);
        assertThat(wire).contains("checkpoint_accepted", "checkpoint_rejected_stale", "checkpoint_expired");
        AuditRecord expired = new AuditRecord(
                AuditRecord.Decision.CHECKPOINT_EXPIRED, "s1", null, null, null, 5L, Instant.EPOCH, "ttl");
        JsonNode written = Json.mapper().valueToTree(expired);
        assertThat(JsonSchemas.get().violations(SchemaId.AUDIT_RECORD, written)).isEmpty();
        assertThat(Json.mapper().treeToValue(written, AuditRecord.class)).isEqualTo(expired);
    }

    @Test
    void shouldCoPartitionAndCompactTheCheckpointTopicsWhenTheCatalogIsBuilt() {
        TopicCatalog catalog =
                TopicCatalog.builder().prefix("x.").sessionPartitions(5).build();

        assertThat(catalog.checkpointsIn.name()).isEqualTo("x.checkpoints-in");
        assertThat(catalog.checkpoints.name()).isEqualTo("x.checkpoints");
        assertThat(catalog.checkpointsIn.partitions())
                .isEqualTo(catalog.checkpoints.partitions())
                .isEqualTo(5);
        assertThat(catalog.checkpoints.configs()).containsEntry("cleanup.policy", "compact");
        assertThat(catalog.checkpointsIn.configs())
                .containsEntry("cleanup.policy", "delete")
                .containsEntry("message.timestamp.type", "LogAppendTime");
        assertThat(catalog.all()).contains(catalog.checkpointsIn, catalog.checkpoints);
    }
}
