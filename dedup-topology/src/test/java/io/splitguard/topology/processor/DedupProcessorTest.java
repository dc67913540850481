package io.splitguard.topology.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.json.SchemaId;
import io.splitguard.schemas.model.IdempotencyOutcome;
import io.splitguard.schemas.model.MutationRequest;
import io.splitguard.schemas.model.SequencedMutation;
import io.splitguard.topology.Fixtures;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DedupProcessorTest {

    private static final Instant T0 = Instant.parse("2026-05-15T14:32:00Z");
    private final JsonSerde<MutationRequest> serde = JsonSerde.of(MutationRequest.class, SchemaId.MUTATION_REQUEST);
    private MockProcessorContext<Object, Object> context;
    private DedupProcessor processor;

    @BeforeEach
    void setUp() {
        context = new MockProcessorContext<>();
        context.setCurrentSystemTimeMs(T0.toEpochMilli());
        WindowStore<String, IdempotencyOutcome> keys = Stores.windowStoreBuilder(
                        Stores.inMemoryWindowStore(
                                DedupNodes.DEDUP_STORE, Duration.ofHours(24), Duration.ofHours(24), false),
                        Serdes.String(),
                        JsonSerde.unchecked(IdempotencyOutcome.class))
                .withLoggingDisabled()
                .build();
        KeyValueStore<String, SessionSequence> sequences = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(DedupNodes.SEQUENCE_STORE),
                        Serdes.String(),
                        SessionSequence.serde())
                .withLoggingDisabled()
                .build();
        keys.init(context.getStateStoreContext(), keys);
        sequences.init(context.getStateStoreContext(), sequences);
        context.addStateStore(keys);
        context.addStateStore(sequences);
        processor = new DedupProcessor(serde, Duration.ofHours(24), Duration.ofMinutes(5));
        processor.init(context);
    }

    @Test
    void shouldForwardOnlyTheFirstOfTwoIdenticalDeliveries() {
        MutationRequest request = Fixtures.request("s1", "k1", "hello", T0);

        processor.process(new Record<>("s1", serde.toBytes(request), T0.toEpochMilli()));
        processor.process(
                new Record<>("s1", serde.toBytes(request), T0.plusSeconds(1).toEpochMilli()));

        List<?> toMutations = context.forwarded().stream()
                .filter(f -> f.childName().orElse("").equals(DedupNodes.MUTATIONS_SINK))
                .map(f -> f.record().value())
                .toList();
        assertThat(toMutations).singleElement().isInstanceOf(SequencedMutation.class);
    }

    @Test
    void shouldTreatEqualPayloadHashAsDuplicate() {
        MutationRequest applied = Fixtures.request("s1", "k1", "hello", T0);
        SequencedMutation m = SequencedMutation.applied(applied, T0.toEpochMilli(), 1, T0);
        IdempotencyOutcome outcome = IdempotencyOutcome.firstApplication(m);

        assertThat(DedupProcessor.isDuplicate(outcome, Fixtures.request("s1", "k1", "hello", T0)))
                .isTrue();
        assertThat(DedupProcessor.isDuplicate(outcome, Fixtures.request("s1", "k1", "changed", T0)))
                .isFalse();
    }
}
