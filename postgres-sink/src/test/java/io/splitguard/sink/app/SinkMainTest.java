package io.splitguard.sink.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.schemas.topics.TopicCatalog;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SinkMainTest {

    @Test
    void shouldReadTheTopicNamesFromTheSameKeysAsTheOtherServices() {
        TopicCatalog custom =
                SinkMain.catalogFrom(Map.of("SPLITGUARD_TOPIC_PREFIX", "prod.", "SPLITGUARD_SESSION_PARTITIONS", "24"));
        TopicCatalog defaults = SinkMain.catalogFrom(Map.of());

        assertThat(custom.mutations.name()).isEqualTo("prod.mutations");
        assertThat(custom.sessionPartitions()).isEqualTo(24);
        assertThat(defaults.mutations.name()).isEqualTo(TopicCatalog.DEFAULT_PREFIX + "mutations");
    }
}
