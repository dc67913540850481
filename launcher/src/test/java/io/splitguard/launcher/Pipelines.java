package io.splitguard.launcher;

import io.splitguard.schemas.topics.TopicCatalog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Pipeline settings for tests: one unique name per test for application id, group and topics. */
final class Pipelines {

    static final String SECRET = "test-secret-test-secret-test-secret-0123456789";

    private Pipelines() {}

    static PipelineSettings settings(
            String bootstrap, String jdbcUrl, TopicCatalog topics, Path stateDir, String name) {
        return new PipelineSettings(
                bootstrap,
                jdbcUrl,
                "postgres",
                "",
                topics,
                stateDir,
                0,
                SECRET,
                name + "-dedup",
                name + "-sink",
                Duration.ofMillis(100),
                Map.of());
    }

    /** Properties of an extra gateway instance beside the pipeline's own. */
    static Map<String, Object> gatewayProperties(PipelineSettings settings) {
        Map<String, Object> props = new HashMap<>(Pipeline.gatewayProperties(settings));
        props.put("micronaut.server.port", -1);
        return props;
    }
}
