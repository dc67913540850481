package io.splitguard.launcher;

import io.splitguard.health.ApplicationCheck;
import io.splitguard.health.CompositeHealth;
import io.splitguard.health.Health;
import io.splitguard.health.HealthSettings;
import io.splitguard.health.KafkaQuorumCheck;
import io.splitguard.health.RegionQuorumStreams;
import io.splitguard.health.RegionSettings;
import io.splitguard.health.RegionView;
import io.splitguard.health.RegionVoter;
import io.splitguard.infra.EmbeddedKafka;
import io.splitguard.infra.LocalPostgres;
import io.splitguard.schemas.config.Settings;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole pipeline on one machine: an embedded KRaft broker (unless
 * {@code SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS} names a cluster), a throwaway PostgreSQL (unless
 * {@code DATABASE_URL} is given), topic bootstrap and the services. Stops everything on Ctrl-C.
 */
public final class LocalPipeline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalPipeline.class);

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private Pipeline pipeline;
    private String jdbcUrl;
    private LocalPostgres postgres;

    private LocalPipeline() {}

    public static LocalPipeline start(Map<String, String> env) {
        LocalPipeline local = new LocalPipeline();
        try {
            local.startAll(env);
            return local;
        } catch (RuntimeException e) {
            local.close();
            throw e;
        }
    }

    public static final String DATA_DIR = "SPLITGUARD_DATA_DIR";
    public static final String KAFKA_PORT = "SPLITGUARD_KAFKA_PORT";
    public static final String HTTP_PORT = "SPLITGUARD_HTTP_PORT";
    public static final String JWT_SECRET = "SPLITGUARD_JWT_SECRET";

    /** The launcher's own settings (the services' settings apply as well). */
    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(
                    DATA_DIR,
                    ConfigDef.Type.STRING,
                    "local-data",
                    ConfigDef.Importance.HIGH,
                    "Where the embedded broker, the throwaway PostgreSQL and the Streams state keep their data.")
            .define(
                    KAFKA_PORT,
                    ConfigDef.Type.INT,
                    0,
                    ConfigDef.Range.between(0, 65535),
                    ConfigDef.Importance.LOW,
                    "Port of the embedded broker (0: any free port). Unused when SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS"
                            + " names a cluster, in which case no broker is started.")
            .define(
                    HTTP_PORT,
                    ConfigDef.Type.INT,
                    8080,
                    ConfigDef.Range.between(0, 65535),
                    ConfigDef.Importance.HIGH,
                    "The gateway's port.")
            .define(
                    JWT_SECRET,
                    ConfigDef.Type.PASSWORD,
                    null,
                    ConfigDef.Importance.MEDIUM,
                    "HS256 secret (at least 32 bytes) of the local tokens; random per start when unset. When"
                            + " DATABASE_URL is unset a throwaway PostgreSQL is started.");

    private void startAll(Map<String, String> env) {
        Map<String, Object> own = Settings.parse(DEFINITION, env);
        Path dataDir = Path.of((String) own.get(DATA_DIR)).toAbsolutePath();
        String bootstrap = env.get("SPLITGUARD_KAFKA_BOOTSTRAP_SERVERS");
        if (bootstrap == null || bootstrap.isBlank()) {
            EmbeddedKafka kafka = EmbeddedKafka.start(dataDir.resolve("kafka"), (Integer) own.get(KAFKA_PORT));
            started.push(kafka);
            bootstrap = kafka.bootstrapServers();
        }
        jdbcUrl = env.get("DATABASE_URL");
        String user = env.getOrDefault("DATABASE_USER", "postgres");
        String password = env.getOrDefault("DATABASE_PASSWORD", "");
        if (jdbcUrl == null || jdbcUrl.isBlank()) {
            postgres = LocalPostgres.start(dataDir.resolve("postgres"), true);
            started.push(postgres);
            jdbcUrl = postgres.createDatabase("splitguard");
            user = postgres.user();
            password = postgres.password();
        }
        TopicCatalog topics = TopicCatalog.fromEnv(env);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        String secret = own.get(JWT_SECRET) == null ? randomSecret() : Settings.password(own.get(JWT_SECRET));
        pipeline = Pipeline.start(new PipelineSettings(
                bootstrap,
                jdbcUrl,
                user,
                password,
                topics,
                dataDir.resolve("streams"),
                (Integer) own.get(HTTP_PORT),
                secret,
                env.getOrDefault("SPLITGUARD_DEDUP_APPLICATION_ID", "splitguard-dedup"),
                env.getOrDefault("SPLITGUARD_SINK_GROUP_ID", "splitguard-postgres-sink"),
                Duration.ofMillis(Long.parseLong(env.getOrDefault("SPLITGUARD_COMMIT_INTERVAL_MS", "100"))),
                env));
        started.push(pipeline);
        startRegionQuorum(env, bootstrap, topics, dataDir.resolve("streams"));
    }

    /**
     * The region quorum for this machine's region: the quorum topology, this region's view of the
     * region topics and its voter, whose vote is a small composite health (application, and the Kafka
     * quorum with the region topics). With the default single region {@code local} the first vote
     * makes it primary at epoch 1; with {@code SPLITGUARD_REGIONS} naming several, one launcher per
     * region (same topics, same {@code SPLITGUARD_REGION_QUORUM_APPLICATION_ID}) forms the quorum.
     */
    private void startRegionQuorum(Map<String, String> env, String bootstrap, TopicCatalog topics, Path stateDir) {
        RegionSettings regions = RegionSettings.fromEnv(env);
        HealthSettings healthSettings = HealthSettings.fromEnv(env);
        started.push(RegionQuorumStreams.start(bootstrap, topics, regions, stateDir, Map.of()));
        Clock clock = Clock.systemUTC();
        KafkaQuorumCheck quorum = KafkaQuorumCheck.create(
                bootstrap,
                Map.of(),
                List.of(topics.regionHealth.name(), topics.failoverDecisions.name()),
                healthSettings.timeout());
        CompositeHealth health = CompositeHealth.builder()
                .settings(healthSettings)
                .clock(clock)
                .component(CompositeHealth.APPLICATION, new ApplicationCheck(clock, () -> Health.up(Map.of())))
                .component(CompositeHealth.KAFKA_QUORUM, quorum)
                .closing(quorum)
                .start();
        started.push(health);
        RegionView view = RegionView.start(bootstrap, Map.of(), topics, regions, clock);
        started.push(view);
        started.push(RegionVoter.create(bootstrap, Map.of(), topics, regions, health::report, view, clock)
                .start());
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** The throwaway PostgreSQL this launcher started; empty when {@code DATABASE_URL} named one. */
    public java.util.Optional<LocalPostgres> postgres() {
        return java.util.Optional.ofNullable(postgres);
    }

    private static String randomSecret() {
        byte[] bytes = new byte[48];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    @Override
    public synchronized void close() {
        while (!started.isEmpty()) {
            AutoCloseable part = started.pop();
            try {
                part.close();
            } catch (Exception e) {
                LOG.warn("error while stopping {}", part.getClass().getSimpleName(), e);
            }
        }
    }

    public static void main(String[] args) throws InterruptedException {
        LocalPipeline local = start(System.getenv());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            System.out.println("Stopping SplitGuard...");
                            local.close();
                            stopped.countDown();
                        },
                        "splitguard-shutdown"));
        Pipeline p = local.pipeline();
        System.out.println();
        System.out.println("SplitGuard is up.");
        System.out.println("  gateway:   " + p.gatewayUrl());
        System.out.println("  token:     " + p.token(Duration.ofHours(12), "session:write", "session:read"));
        System.out.println("  admin:     " + p.token(Duration.ofHours(12), "admin") + " (operators' routes)");
        System.out.println(
                "  database:  " + local.jdbcUrl() + " (user " + p.settings().dbUser() + ")");
        System.out.println("  kafka:     " + p.settings().bootstrapServers());
        System.out.println("  checkpoints (topology queries): " + p.checkpointQueryUrl() + "/internal/checkpoints/");
        System.out.println("Press Ctrl-C to stop.");
        stopped.await();
    }
}
