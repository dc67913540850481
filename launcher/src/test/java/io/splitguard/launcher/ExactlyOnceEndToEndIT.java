package io.splitguard.launcher;

import io.splitguard.testsupport.SharedInfra;
import org.junit.jupiter.api.extension.ExtendWith;

/** The exactly-once scenario on the in-JVM KRaft broker and the local PostgreSQL. */
@ExtendWith(SharedInfra.class)
class ExactlyOnceEndToEndIT extends ExactlyOnceScenario {

    @Override
    String bootstrapServers() {
        return SharedInfra.kafka().bootstrapServers();
    }

    @Override
    String newDatabase(String name) {
        return SharedInfra.newDatabase(name);
    }
}
