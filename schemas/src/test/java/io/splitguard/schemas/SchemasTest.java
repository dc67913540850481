package io.splitguard.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.JsonSchemas;
import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.json.PayloadHash;
import io.splitguard.schemas.json.SchemaId;
import io.splitguard.schemas.model.IdempotencyKeys;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.topics.Topic;
import io.splitguard.schemas.topics.TopicCatalog;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class SchemasTest {

    private static final String GUIDE_BODY =
            """
            {"session_id":"session_8f4a2c91-e5b7-4d3a-9c12-7f8e3b2a1d00","contact_id":"cust_449201","operation":"UPDATE_NOTES",
             "payload":{"interaction_type":"voice","agent_id":"agent_8821","notes":"Customer requested callback.",
             "timestamp":"2024-05-15T14:32:00Z"}}""";

    private static JsonNode parse(String json) throws Exception {
        return Json.mapper().readTree(json);
    }

    @Test
    void shouldRoundTripTheSessionEpochAndReadRecordsWrittenBeforeItAsEpochZero() throws Exception {
        SequencedMutation m = new SequencedMutation(
                "r1",
                "t",
                "crm",
                "s1",
                "k1",
                "t:crm:k1",
                "sha256:00",
                1_700_000_000_000L,
                3,
                null,
                Instant.parse("2026-12-01T00:00:00Z"),
                Instant.parse("2026-12-01T00:00:01Z"),
                parse("{\"session_id\":\"s1\"}"));
        JsonNode written = Json.mapper().valueToTree(m);
        assertThat(written.get("session_epoch").asLong()).isEqualTo(1_700_000_000_000L);
        assertThat(Json.mapper().treeToValue(written, SequencedMutation.class)).isEqualTo(m);

        ((com.fasterxml.jackson.databind.node.ObjectNode) written).remove("session_epoch");
        SequencedMutation legacy = Json.mapper().treeToValue(written, SequencedMutation.class);
        assertThat(legacy.sessionEpoch()).isZero();
        assertThat(legacy.sequence()).isEqualTo(3);
    }

    @Test
    void shouldHashIndependentlyOfKeyOrderAndWhiteSpace() throws Exception {
        String a = PayloadHash.of(parse("{\"a\":1,\"b\":{\"x\":[1,2],\"y\":\"z\"}}"));
        String b = PayloadHash.of(parse("{ \"b\" : {\"y\":\"z\", \"x\":[1,2]}, \"a\":1 }"));
        String c = PayloadHash.of(parse("{\"a\":1,\"b\":{\"x\":[2,1],\"y\":\"z\"}}"));

        assertThat(a).isEqualTo(b).startsWith("sha256:").hasSize(7 + 64);
        assertThat(c).isNotEqualTo(a);
    }

    @Test
    void shouldAcceptTheGuideExampleAndRejectInvalidBodies() throws Exception {
        assertThat(JsonSchemas.get().violations(SchemaId.CRM_CONTACT_UPDATE, parse(GUIDE_BODY)))
                .isEmpty();
        assertThat(JsonSchemas.get().violations(SchemaId.CRM_CONTACT_UPDATE, parse("{\"session_id\":\"s\"}")))
                .isNotEmpty();
        assertThat(JsonSchemas.get()
                        .violations(
                                SchemaId.CRM_CONTACT_UPDATE,
                                parse(GUIDE_BODY.replace("2024-05-15T14:32:00Z", "yesterday"))))
                .isNotEmpty();
    }

    @Test
    void shouldDeriveTheSameKeyWithinOneSecondOnly() {
        Instant t = Instant.parse("2024-05-15T14:32:00Z");
        String k1 = IdempotencyKeys.derive("s1", "UPDATE_NOTES", t);

        assertThat(IdempotencyKeys.derive("s1", "UPDATE_NOTES", t)).isEqualTo(k1);
        assertThat(IdempotencyKeys.derive("s1", "UPDATE_NOTES", t.plusSeconds(1)))
                .isNotEqualTo(k1);
        assertThat(IdempotencyKeys.derive("s2", "UPDATE_NOTES", t)).isNotEqualTo(k1);
    }

    @Test
    void shouldKeepScopesApartEvenWhenPartsContainTheSeparator() {
        assertThat(IdempotencyKeys.scoped("a|b", "r", "s", "k"))
                .isNotEqualTo(IdempotencyKeys.scoped("a", "b|r", "s", "k"));
        assertThat(IdempotencyKeys.scoped("t", "r", "s", "k"))
                .isNotEqualTo(IdempotencyKeys.scoped("t2", "r", "s", "k"));
    }

    @Test
    void shouldRoundTripAndRefuseMalformedOrSchemaInvalidBytes() throws Exception {
        JsonSerde<MutationRequest> serde = JsonSerde.of(MutationRequest.class, SchemaId.MUTATION_REQUEST);
        JsonNode body = parse(GUIDE_BODY);
        MutationRequest request = new MutationRequest(
                1,
                "r1",
                "t",
                "crm.contact.update",
                "s1",
                "k1",
                false,
                IdempotencyKeys.scoped("t", "crm.contact.update", "s1", "k1"),
                PayloadHash.of(body),
                Instant.parse("2026-01-01T00:00:00Z"),
                null,
                body);

        assertThat(serde.fromBytes(serde.toBytes(request))).isEqualTo(request);
        assertThatThrownBy(() -> serde.fromBytes("{oops".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SerializationException.class);
        assertThatThrownBy(() -> serde.fromBytes("{\"schema_version\":1}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("schema");
        assertThatThrownBy(() -> serde.fromBytes(new byte[0])).isInstanceOf(SerializationException.class);
    }

    @Test
    void shouldCoPartitionEverySessionTopicAndNameThemByPrefix() {
        TopicCatalog catalog = TopicCatalog.fromEnv(Map.of(
                "SPLITGUARD_TOPIC_PREFIX",
                "x.",
                "SPLITGUARD_SESSION_PARTITIONS",
                "7",
                "SPLITGUARD_REPLICATION_FACTOR",
                "3",
                "SPLITGUARD_MIN_INSYNC_REPLICAS",
                "2"));

        assertThat(catalog.sessionTopics()).extracting(Topic::partitions).containsOnly(7);
        assertThat(catalog.all()).containsAll(catalog.sessionTopics());
        assertThat(catalog.all())
                .extracting(Topic::name)
                .allMatch(n -> n.startsWith("x."))
                .doesNotHaveDuplicates();
        assertThat(catalog.all()).allSatisfy(t -> assertThat(t.configs()).containsEntry("min.insync.replicas", "2"));
        assertThat(catalog.idempotencyOutcomes.configs().get("cleanup.policy")).contains("compact");
        assertThatThrownBy(() -> TopicCatalog.builder().replication(1, 2)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRefuseAServiceBelowReplicationThreeAndMinIsrTwoUnlessReducedDurabilityIsAllowed() {
        assertThatThrownBy(() -> TopicCatalog.forService(Map.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("SPLITGUARD_REPLICATION_FACTOR")
                .hasMessageContaining("SPLITGUARD_MIN_INSYNC_REPLICAS")
                .hasMessageContaining(TopicCatalog.ENV_ALLOW_REDUCED_DURABILITY);
        assertThatThrownBy(() -> TopicCatalog.forService(
                        Map.of("SPLITGUARD_REPLICATION_FACTOR", "3", "SPLITGUARD_MIN_INSYNC_REPLICAS", "1")))
                .hasMessageContaining("min.insync.replicas 1");

        TopicCatalog production = TopicCatalog.forService(
                Map.of("SPLITGUARD_REPLICATION_FACTOR", "3", "SPLITGUARD_MIN_INSYNC_REPLICAS", "2"));
        TopicCatalog allowed = TopicCatalog.forService(Map.of(TopicCatalog.ENV_ALLOW_REDUCED_DURABILITY, "true"));

        assertThat(production.replicationFactor()).isEqualTo((short) 3);
        assertThat(production.minInSyncReplicas()).isEqualTo(2);
        assertThat(allowed.replicationFactor()).isEqualTo((short) 1);
    }
}
