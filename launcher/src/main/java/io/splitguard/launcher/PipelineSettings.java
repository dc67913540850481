package io.splitguard.launcher;

import io.splitguard.schemas.topics.TopicCatalog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Where the pipeline's services find Kafka and PostgreSQL, and how they are tuned.
 *
 * @param env further environment-style settings handed to every service (SPLITGUARD_*)
 */
public record PipelineSettings(
        String bootstrapServers,
        String jdbcUrl,
        String dbUser,
        String dbPassword,
        TopicCatalog topics,
        Path stateDir,
        int httpPort,
        String jwtSecret,
        String dedupApplicationId,
        String sinkGroupId,
        Duration commitInterval,
        Map<String, String> env) {

    public PipelineSettings {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(topics, "topics");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(jwtSecret, "jwtSecret");
        env = Map.copyOf(env);
    }
}
