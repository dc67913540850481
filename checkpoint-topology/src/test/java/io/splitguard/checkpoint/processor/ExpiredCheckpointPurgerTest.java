package io.splitguard.checkpoint.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.checkpoint.CheckpointTopology;
import io.splitguard.checkpoint.Fixtures;
import io.splitguard.schemas.model.StoredCheckpoint;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ExpiredCheckpointPurgerTest {

    private static final Instant T0 = Instant.parse("2026-05-15T14:32:00Z");
    private KeyValueStore<String, StoredCheckpoint> store;
    private final List<String> reported = new ArrayList<>();

    @BeforeEach
    void setUp() {
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
        store = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(CheckpointNodes.LATEST_STORE),
                        Serdes.String(),
                        CheckpointTopology.storeSerde())
                .withLoggingDisabled()
                .build();
        store.init(context.getStateStoreContext(), store);
    }

    private void put(String session, int ttlSeconds) {
        store.put(
                session,
                StoredCheckpoint.accepted(Fixtures.checkpoint(session, 1, "q", ttlSeconds), ttlSeconds, T0, 0, 0));
    }

    private List<String> keys() {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, StoredCheckpoint> it = store.all()) {
            it.forEachRemaining(kv -> keys.add(kv.key));
        }
        return keys;
    }

    @Test
    void shouldLookAtABoundedSlicePerRunAndCoverEveryEntryAcrossRuns() {
        for (int i = 0; i < 7; i++) {
            put("expired-" + i, 10);
        }
        put("live", 3600);
        ExpiredCheckpointPurger purger = new ExpiredCheckpointPurger(store, 3, (c, now) -> reported.add(c.sessionId()));
        long now = T0.plusSeconds(60).toEpochMilli();

        purger.punctuate(now);
        assertThat(keys()).hasSize(5);
        purger.punctuate(now);
        assertThat(keys()).hasSize(2);
        purger.punctuate(now);

        assertThat(keys()).containsExactly("live");
        assertThat(purger.purged()).isEqualTo(7);
        assertThat(reported).hasSize(7).allMatch(s -> s.startsWith("expired-"));
    }

    @Test
    void shouldKeepACheckpointUntilTheInstantItExpiresWhenPunctuatedJustBefore() {
        put("s1", 10);
        ExpiredCheckpointPurger purger =
                new ExpiredCheckpointPurger(store, 100, (c, now) -> reported.add(c.sessionId()));

        purger.punctuate(T0.plusSeconds(10).toEpochMilli() - 1);
        assertThat(keys()).containsExactly("s1");
        purger.punctuate(T0.plusSeconds(10).toEpochMilli());

        assertThat(keys()).isEmpty();
        assertThat(reported).containsExactly("s1");
    }
}
