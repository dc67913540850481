package io.splitguard.sink.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.model.StoredCheckpoint;
import io.splitguard.schemas.topics.Topic;
import io.splitguard.schemas.topics.TopicCatalog;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class RecordDecoderTest {

    private final Topic<String, SequencedMutation> topic =
            TopicCatalog.builder().prefix("unit.").build().mutations;
    private final TopicCatalog catalog = TopicCatalog.builder().prefix("unit.").build();
    private final RecordDecoder decoder = new RecordDecoder(topic);
    private final RecordDecoder both = new RecordDecoder(catalog.mutations, catalog.checkpoints);

    @Test
    void shouldReadCheckpointsAndTheirTombstonesWhenTheDecoderReadsTheCheckpointsTopic() {
        Instant at = Instant.parse("2026-12-03T10:00:00Z");
        StoredCheckpoint c = new StoredCheckpoint(
                "s1",
                "eu-west",
                "chk_7",
                7,
                2,
                "v3",
                Json.mapper().createObjectNode().put("step", "menu"),
                60,
                "r1",
                at,
                at,
                at.plusSeconds(60),
                1,
                70);
        String name = catalog.checkpoints.name();
        byte[] raw = catalog.checkpoints.valueSerde().serializer().serialize(name, c);
        byte[] s1 = "s1".getBytes(StandardCharsets.UTF_8);

        Inbound read = both.decode(new ConsumerRecord<>(name, 1, 5L, s1, raw));
        Inbound purge = both.decode(new ConsumerRecord<>(name, 1, 6L, s1, null));
        Inbound foreignKey = both.decode(new ConsumerRecord<>(name, 1, 7L, "s2".getBytes(StandardCharsets.UTF_8), raw));
        Inbound noKey = both.decode(new ConsumerRecord<>(name, 1, 8L, null, raw));

        assertThat(read).isInstanceOf(Inbound.Checkpoint.class);
        assertThat(((Inbound.Checkpoint) read).value()).isEqualTo(c);
        assertThat(purge).isInstanceOfSatisfying(Inbound.CheckpointPurge.class, p -> assertThat(p.sessionId())
                .isEqualTo("s1"));
        assertThat(foreignKey).isInstanceOfSatisfying(Inbound.Poison.class, p -> assertThat(p.error())
                .contains("not the checkpoint's session id"));
        assertThat(noKey).isInstanceOf(Inbound.Poison.class);
        // the mutations topic's tombstones stay poison with the two-topic decoder
        assertThat(both.decode(new ConsumerRecord<>(topic.name(), 0, 1L, s1, null)))
                .isInstanceOf(Inbound.Poison.class);
    }

    @Test
    void shouldReadAValidMutation() {
        SequencedMutation m = new SequencedMutation(
                "r1",
                "t1",
                "crm",
                "s1",
                "k1",
                "scoped-k1",
                "sha256:00",
                1,
                null,
                Instant.parse("2025-01-01T00:00:00Z"),
                Instant.parse("2025-01-01T00:00:01Z"),
                Json.mapper().createObjectNode().put("contact_id", "c1"));
        byte[] raw = topic.valueSerde().serializer().serialize(topic.name(), m);

        Inbound in =
                decoder.decode(new ConsumerRecord<>(topic.name(), 2, 40L, "s1".getBytes(StandardCharsets.UTF_8), raw));

        assertThat(in).isInstanceOf(Inbound.Mutation.class);
        assertThat(((Inbound.Mutation) in).value()).isEqualTo(m);
        assertThat(in.offset()).isEqualTo(40L);
        assertThat(in.partition()).isEqualTo(2);
    }

    @Test
    void shouldTurnValuesIntoPoisonWhenTheyAreUnreadable() {
        byte[] garbage = "{not json".getBytes(StandardCharsets.UTF_8);
        byte[] wrongShape = "{\"request_id\":\"r\"}".getBytes(StandardCharsets.UTF_8);

        Inbound malformed = decoder.decode(new ConsumerRecord<>(topic.name(), 0, 1L, null, garbage));
        Inbound invalid = decoder.decode(new ConsumerRecord<>(topic.name(), 0, 2L, null, wrongShape));
        Inbound tombstone = decoder.decode(new ConsumerRecord<>(topic.name(), 0, 3L, null, null));

        assertThat(malformed).isInstanceOf(Inbound.Poison.class);
        assertThat(((Inbound.Poison) malformed).error()).contains("SerializationException");
        assertThat(malformed.rawValue()).isEqualTo(garbage);
        assertThat(invalid).isInstanceOf(Inbound.Poison.class);
        assertThat(tombstone).isInstanceOf(Inbound.Poison.class);
        assertThat(((Inbound.Poison) tombstone).error()).contains("null value");
    }
}
