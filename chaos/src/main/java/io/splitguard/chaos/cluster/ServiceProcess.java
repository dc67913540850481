package io.splitguard.chaos.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A SplitGuard service (gateway, dedup topology, checkpoint topology, Postgres sink) as its own JVM in the root network
 * namespace, where it reaches the brokers over the harness bridge. The factories start the process;
 * {@link #kill()}, {@link #pause()}, {@link #stop()} and {@link #restart()} (a fresh JVM with the same
 * settings, once the old one is dead) come from {@link NodeProcess}.
 *
 * <p>Configuration is by environment, as in production. Keys the services share:
 * {@code SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS}, and for the topic catalog {@code SPLITGUARD_TOPIC_PREFIX},
 * {@code SPLITGUARD_SESSION_PARTITIONS}, {@code SPLITGUARD_REPLICATION_FACTOR},
 * {@code SPLITGUARD_MIN_INSYNC_REPLICAS}, {@code SPLITGUARD_DEDUP_WINDOW}: one environment map
 * configures all three services alike, the gateway included.
 *
 * <p>Each JVM gets {@code -Xmx256m} (a heap dump beside the log if it runs out) and a logback
 * configuration (INFO, Kafka clients at WARN) whose output is appended to the service's log file.
 */
public final class ServiceProcess extends NodeProcess {

    public static final String GATEWAY_MAIN = "io.splitguard.gateway.app.GatewayApplication";
    public static final String DEDUP_MAIN = "io.splitguard.topology.app.DedupMain";
    public static final String SINK_MAIN = "io.splitguard.sink.app.SinkMain";
    public static final String CHECKPOINT_MAIN = "io.splitguard.checkpoint.app.CheckpointMain";
    public static final String COORDINATOR_MAIN = "io.splitguard.coordinator.app.RegionCoordinatorMain";

    /** Gateway keys (Micronaut property names as environment variables). */
    public static final String GATEWAY_PORT = "MICRONAUT_SERVER_PORT";

    public static final String GATEWAY_HOST = "MICRONAUT_SERVER_HOST";
    public static final String GATEWAY_JWT_SECRET = "MICRONAUT_SECURITY_TOKEN_JWT_SIGNATURES_SECRET_GENERATOR_SECRET";
    public static final String BOOTSTRAP_SERVERS = "SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS";

    private ServiceProcess(String name, String mainClass, Map<String, String> env, Path log) {
        this(name, List.of(), mainClass, env, log);
    }

    private ServiceProcess(String name, List<String> prefix, String mainClass, Map<String, String> env, Path log) {
        super(name, prefix, jvmOptions(log), mainClass, List.of(), env, log);
    }

    /**
     * Starts the ingest gateway. Needs {@value #BOOTSTRAP_SERVERS}, {@value #GATEWAY_PORT} and
     * {@value #GATEWAY_JWT_SECRET} (at least 32 bytes); listens on 127.0.0.1 unless
     * {@value #GATEWAY_HOST} says otherwise.
     */
    public static ServiceProcess gateway(String name, Map<String, String> env, Path log) {
        require(env, BOOTSTRAP_SERVERS, GATEWAY_PORT, GATEWAY_JWT_SECRET);
        Map<String, String> full = new HashMap<>(env);
        full.putIfAbsent(GATEWAY_HOST, "127.0.0.1");
        full.putIfAbsent("MICRONAUT_ENV_DEDUCTION", "false");
        return started(new ServiceProcess(name, GATEWAY_MAIN, full, log));
    }

    /**
     * Starts the dedup topology (see {@code DedupConfig.fromEnv} and {@code TopicCatalog.fromEnv});
     * give each instance its own {@code SPLITGUARD_STATE_DIR}.
     */
    public static ServiceProcess dedup(String name, Map<String, String> env, Path log) {
        require(env, BOOTSTRAP_SERVERS);
        return started(new ServiceProcess(name, DEDUP_MAIN, withManagementPort(env), log));
    }

    /**
     * Starts the checkpoint topology (see {@code CheckpointConfig.fromEnv}); give each instance its own
     * {@code SPLITGUARD_STATE_DIR}, and for interactive queries across instances a fixed {@code
     * SPLITGUARD_MANAGEMENT_PORT} that {@code SPLITGUARD_CHECKPOINT_APPLICATION_SERVER} names.
     */
    public static ServiceProcess checkpoint(String name, Map<String, String> env, Path log) {
        require(env, BOOTSTRAP_SERVERS);
        return started(new ServiceProcess(name, CHECKPOINT_MAIN, withManagementPort(env), log));
    }

    /**
     * Starts a region coordinator (see {@code CoordinatorConfig.fromEnv}) behind {@code prefix}, e.g.
     * inside a broker's network namespace so that cutting the broker off cuts its region off too.
     */
    public static ServiceProcess coordinator(String name, List<String> prefix, Map<String, String> env, Path log) {
        require(env, BOOTSTRAP_SERVERS, "SPLITGUARD_REGIONS", "SPLITGUARD_REGION");
        return started(new ServiceProcess(name, prefix, COORDINATOR_MAIN, withManagementPort(env), log));
    }

    /** Starts the Postgres sink (see {@code SinkConfig.fromMap}); needs {@code DATABASE_URL}. */
    public static ServiceProcess sink(String name, Map<String, String> env, Path log) {
        require(env, BOOTSTRAP_SERVERS, "DATABASE_URL");
        return started(new ServiceProcess(name, SINK_MAIN, withManagementPort(env), log));
    }

    /** Several instances share the host: their management endpoints take any free port unless told. */
    private static Map<String, String> withManagementPort(Map<String, String> env) {
        Map<String, String> full = new HashMap<>(env);
        full.putIfAbsent("SPLITGUARD_MANAGEMENT_PORT", "0");
        return full;
    }

    private static ServiceProcess started(ServiceProcess process) {
        process.start();
        return process;
    }

    private static void require(Map<String, String> env, String... keys) {
        for (String key : keys) {
            String value = env.get(key);
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(key + " is required");
            }
        }
    }

    private static List<String> jvmOptions(Path log) {
        return List.of(
                "-Xmx256m",
                // a heap dump beside the log before the JVM exits: what filled the heap is the question
                "-XX:+HeapDumpOnOutOfMemoryError",
                "-XX:HeapDumpPath=" + log.toAbsolutePath().getParent(),
                "-XX:+ExitOnOutOfMemoryError",
                "-Djava.awt.headless=true",
                "-Dlogback.configurationFile=" + logbackConfig(log).toAbsolutePath());
    }

    /** Written next to the log file; an explicit file, as test-support's logback-test.xml is on the classpath too. */
    private static Path logbackConfig(Path log) {
        Path file = log.toAbsolutePath().resolveSibling("logback-service.xml");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(
                    file,
                    """
                    <configuration>
                      <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                        <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
                      </appender>
                      <logger name="org.apache.kafka" level="WARN"/>
                      <logger name="org.flywaydb" level="WARN"/>
                      <logger name="com.zaxxer.hikari" level="WARN"/>
                      <root level="INFO"><appender-ref ref="OUT"/></root>
                    </configuration>
                    """,
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }
}
