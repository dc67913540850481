package io.splitguard.topology.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IdleSessionPurgerTest {

    private static final long HORIZON = 1_000;
    private KeyValueStore<String, SessionSequence> store;

    @BeforeEach
    void setUp() {
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
        store = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(DedupNodes.SEQUENCE_STORE),
                        Serdes.String(),
                        SessionSequence.serde())
                .withLoggingDisabled()
                .build();
        store.init(context.getStateStoreContext(), store);
    }

    private List<String> keys() {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, SessionSequence> it = store.all()) {
            it.forEachRemaining(kv -> keys.add(kv.key));
        }
        return keys;
    }

    @Test
    void shouldLookAtABoundedBatchPerRunAndCoverEverySessionAcrossRuns() {
        for (int i = 0; i < 7; i++) {
            store.put("idle-" + i, new SessionSequence(1, 3, 0));
        }
        store.put("live", new SessionSequence(1, 3, 5_000));
        IdleSessionPurger purger = new IdleSessionPurger(store, HORIZON, 3);

        purger.punctuate(5_500);
        assertThat(keys()).hasSize(5);
        purger.punctuate(5_500);
        assertThat(keys()).hasSize(2);
        purger.punctuate(5_500);

        assertThat(keys()).containsExactly("live");
        assertThat(purger.purged()).isEqualTo(7);
    }

    @Test
    void shouldKeepASessionIdleForExactlyTheHorizon() {
        store.put("s", new SessionSequence(1, 3, 1_000));
        new IdleSessionPurger(store, HORIZON, 10).punctuate(2_000);
        assertThat(keys()).containsExactly("s");
        new IdleSessionPurger(store, HORIZON, 10).punctuate(2_001);
        assertThat(keys()).isEmpty();
    }

    @Test
    void shouldReadTheOneLongValueStoredBeforeEpochsAsEpochZeroWithUnknownActivity() {
        byte[] legacy = ByteBuffer.allocate(Long.BYTES).putLong(41).array();
        SessionSequence read = SessionSequence.serde().deserializer().deserialize("t", legacy);
        assertThat(read).isEqualTo(new SessionSequence(0, 41, SessionSequence.UNKNOWN_ACTIVITY));

        SessionSequence value = new SessionSequence(1_700_000_000_000L, 9, 1_700_000_100_000L);
        byte[] bytes = SessionSequence.serde().serializer().serialize("t", value);
        assertThat(SessionSequence.serde().deserializer().deserialize("t", bytes))
                .isEqualTo(value);
        assertThatThrownBy(() -> SessionSequence.serde().deserializer().deserialize("t", new byte[5]))
                .isInstanceOf(SerializationException.class);
    }
}
