package io.splitguard.topology.app;

import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.topology.config.DedupConfig;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** Runs the dedup topology as its own process, configured by environment variables, until SIGTERM. */
public final class DedupMain {

    private DedupMain() {}

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> env = System.getenv();
        TopicCatalog topics = TopicCatalog.forService(env);
        DedupConfig config = DedupConfig.fromEnv(env, topics.deadLetters.name());
        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers()))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        DedupStreams streams = DedupStreams.start(config, topics);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            streams.close();
                            stopped.countDown();
                        },
                        "dedup-shutdown"));
        stopped.await();
    }
}
