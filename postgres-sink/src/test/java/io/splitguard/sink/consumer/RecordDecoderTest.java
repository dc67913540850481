package io.splitguard.sink.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.schemas.topics.Topic;
import io.splitguard.schemas.topics.TopicCatalog;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class RecordDecoderTest {

    private final Topic<String, SequencedMutation> topic =
            TopicCatalog.builder().prefix("unit.").build().mutations;
    private final RecordDecoder decoder = new RecordDecoder(topic);

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
