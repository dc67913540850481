package io.splitguard.sink;

import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.sink.config.SinkConfig;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the Postgres sink from environment configuration (see {@link SinkConfig}) until SIGTERM. The
 * mutations topic is named by {@code SPLITGUARD_TOPIC_PREFIX} (default {@code splitguard.}).
 */
public final class SinkMain {

    private static final Logger LOG = LoggerFactory.getLogger(SinkMain.class);

    private SinkMain() {}

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> env = System.getenv();
        SinkConfig config = SinkConfig.fromMap(env);
        PostgresSink sink = new PostgresSink(config, catalogFrom(env));
        Thread hook = new Thread(sink::close, "splitguard-sink-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        LOG.info("starting Postgres sink with {}", config);
        sink.start();
        while (!sink.awaitTermination(Duration.ofMinutes(1))) {
            LOG.debug("sink running");
        }
        if (sink.failure().isPresent()) {
            LOG.error("sink stopped on an error; exiting");
            System.exit(1);
        }
    }

    /** The topic catalog as the other services see it, from the same environment keys. */
    public static TopicCatalog catalogFrom(Map<String, String> env) {
        return TopicCatalog.fromEnv(env);
    }
}
