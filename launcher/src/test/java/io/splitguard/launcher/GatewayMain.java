package io.splitguard.launcher;

import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.schemas.topics.TopicCatalog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The gateway as its own OS process, for tests that kill it: configured by the same environment as the
 * dedup topology and the sink ({@code SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS}, {@code SPLITGUARD_TOPIC_PREFIX},
 * {@code SPLITGUARD_SESSION_PARTITIONS}, {@code DATABASE_URL} for key look-ups) plus
 * {@code SPLITGUARD_JWT_SECRET}, and optionally {@code SPLITGUARD_GATEWAY_CACHE_MAX_ENTRIES}. Listens on a
 * free port and writes its base URL to the file named by {@code SPLITGUARD_GATEWAY_URL_FILE} once it serves.
 */
public final class GatewayMain {

    static final String URL_FILE = "SPLITGUARD_GATEWAY_URL_FILE";
    static final String CACHE_MAX_ENTRIES = "SPLITGUARD_GATEWAY_CACHE_MAX_ENTRIES";

    private GatewayMain() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        Map<String, String> env = System.getenv();
        PipelineSettings settings = new PipelineSettings(
                env.get("SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS"),
                env.get("DATABASE_URL"),
                env.getOrDefault("DATABASE_USER", "postgres"),
                env.getOrDefault("DATABASE_PASSWORD", ""),
                TopicCatalog.fromEnv(env),
                Path.of("unused"),
                0,
                env.get("SPLITGUARD_JWT_SECRET"),
                "unused",
                "unused",
                Duration.ofMillis(100),
                Map.of());
        Map<String, Object> props = new HashMap<>(Pipelines.gatewayProperties(settings));
        if (env.containsKey(CACHE_MAX_ENTRIES)) {
            props.put("splitguard.gateway.cache-max-entries", Long.parseLong(env.get(CACHE_MAX_ENTRIES)));
        }
        GatewayServer gateway = GatewayServer.start(props);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            gateway.close();
                            stopped.countDown();
                        },
                        "gateway-shutdown"));
        Path file = Path.of(env.get(URL_FILE));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, gateway.url().toString().replaceAll("/$", ""));
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        stopped.await();
    }
}
