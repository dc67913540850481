package io.splitguard.coordinator.app;

import io.splitguard.coordinator.config.CoordinatorConfig;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Runs one region's coordinator ({@link RegionCoordinator}) as its own process, configured by
 * environment variables, until SIGTERM; serves {@code /health}, {@code /health/live}, {@code
 * /health/ready} and {@code /metrics} on the management port.
 */
public final class RegionCoordinatorMain {

    private RegionCoordinatorMain() {}

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> env = System.getenv();
        RegionCoordinator coordinator = start(env);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            coordinator.close();
                            stopped.countDown();
                        },
                        "coordinator-shutdown"));
        stopped.await();
    }

    /**
     * Reads the settings and the topic catalog from {@code env}, makes sure the topics exist and
     * starts the coordinator; what {@link #main} runs, callable in a test.
     */
    public static RegionCoordinator start(Map<String, String> env) {
        TopicCatalog topics = TopicCatalog.forService(env);
        CoordinatorConfig config = CoordinatorConfig.fromEnv(env);
        Map<String, Object> adminConfig = new HashMap<>(config.clientProperties());
        adminConfig.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        try (Admin admin = Admin.create(adminConfig)) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        return RegionCoordinator.start(config, topics, Clock.systemUTC());
    }
}
