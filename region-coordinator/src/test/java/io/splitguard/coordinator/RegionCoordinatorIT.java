package io.splitguard.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.splitguard.coordinator.app.RegionCoordinator;
import io.splitguard.coordinator.app.RegionCoordinatorMain;
import io.splitguard.coordinator.config.CoordinatorConfig;
import io.splitguard.health.HealthSettings;
import io.splitguard.health.RegionSettings;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.model.FailoverDecision;
import io.splitguard.schemas.model.RegionVote;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import io.splitguard.testsupport.TestHttp;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two coordinators of a three-region deployment, started as the main class starts them (settings from
 * environment variables), on the real broker: each serves a healthy {@code /health}, each region's vote
 * appears on region-health, the first decision names the configured first primary, and a region whose
 * own service turns not ready votes unhealthy.
 */
@ExtendWith(SharedInfra.class)
class RegionCoordinatorIT {

    private static final String REGIONS = "region-a,region-b,region-c";

    @TempDir
    Path state;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private Map<String, String> env(String name, String region) {
        Map<String, String> env = new HashMap<>();
        env.put(CommonSettings.BOOTSTRAP_SERVERS, SharedInfra.kafka().bootstrapServers());
        env.put(CommonSettings.TOPIC_PREFIX, name + ".");
        env.put(CommonSettings.SESSION_PARTITIONS, "1");
        env.put(CommonSettings.REPLICATION_FACTOR, "1");
        env.put(CommonSettings.MIN_INSYNC_REPLICAS, "1");
        env.put(CommonSettings.ALLOW_REDUCED_DURABILITY, "true");
        env.put(RegionSettings.REGIONS, REGIONS);
        env.put(RegionSettings.REGION, region);
        env.put(RegionSettings.VOTE_INTERVAL, "PT0.3S");
        env.put(RegionSettings.VOTE_MAX_AGE, "PT3S");
        env.put(RegionSettings.QUORUM_APPLICATION_ID, name);
        env.put(HealthSettings.INTERVAL, "PT0.2S");
        env.put(HealthSettings.REENTRY_CHECKS, "1");
        env.put(CoordinatorConfig.STATE_DIR, state.resolve(region).toString());
        env.put(CoordinatorConfig.MANAGEMENT_PORT, "0");
        return env;
    }

    private RegionCoordinator start(Map<String, String> env) {
        RegionCoordinator coordinator = RegionCoordinatorMain.start(env);
        open.add(coordinator);
        return coordinator;
    }

    /** The latest vote of each region on region-health, read from the start. */
    private static Map<String, RegionVote> latestVotes(TopicCatalog topics) {
        Map<String, RegionVote> latest = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : readAll(topics.regionHealth.name())) {
            latest.put(r.key(), topics.regionHealth.valueSerde().deserializer().deserialize(r.topic(), r.value()));
        }
        return latest;
    }

    private static List<FailoverDecision> decisions(TopicCatalog topics) {
        List<FailoverDecision> out = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : readAll(topics.failoverDecisions.name())) {
            out.add(topics.failoverDecisions.valueSerde().deserializer().deserialize(r.topic(), r.value()));
        }
        return out;
    }

    private static List<ConsumerRecord<String, byte[]>> readAll(String topic) {
        TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        SharedInfra.kafka().bootstrapServers(),
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed"),
                new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
            while (consumer.position(partition) < end) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            return out;
        }
    }

    /** A stand-in for region-a's gateway readiness: answers the status the test sets. */
    private HttpServer readinessStub(AtomicInteger status) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/health/ready", exchange -> {
            exchange.sendResponseHeaders(status.get(), -1);
            exchange.close();
        });
        server.start();
        open.add(() -> server.stop(0));
        return server;
    }

    @Test
    void shouldServeHealthAndPublishAVotePerRegionWhenTwoCoordinatorsOfThreeRegionsRun() throws Exception {
        String name = SharedInfra.uniqueName("coordinator");
        AtomicInteger gatewayReady = new AtomicInteger(200);
        HttpServer gateway = readinessStub(gatewayReady);
        Map<String, String> envA = env(name, "region-a");
        envA.put(
                CoordinatorConfig.SERVICE_PROBES,
                "gateway=http://127.0.0.1:" + gateway.getAddress().getPort() + "/health/ready");
        RegionCoordinator a = start(envA);
        RegionCoordinator b = start(env(name, "region-b"));
        TopicCatalog topics = TopicCatalog.fromEnv(envA);

        for (RegionCoordinator coordinator : List.of(a, b)) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                var health = TestHttp.localhost(coordinator.port()).get("/health");
                assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
                assertThat(health.body()).contains("\"application\"", "\"kafka_quorum\"");
                assertThat(TestHttp.localhost(coordinator.port())
                                .get("/health/live")
                                .statusCode())
                        .isEqualTo(200);
                assertThat(TestHttp.localhost(coordinator.port())
                                .get("/health/ready")
                                .statusCode())
                        .isEqualTo(200);
            });
        }
        assertThat(TestHttp.localhost(a.port()).get("/health").body()).contains("\"region_services\"");
        assertThat(TestHttp.localhost(b.port()).get("/metrics").body()).contains("# TYPE");

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            Map<String, RegionVote> votes = latestVotes(topics);
            assertThat(votes).containsOnlyKeys("region-a", "region-b");
            assertThat(votes.values()).allSatisfy(vote -> {
                assertThat(vote.healthy()).isTrue();
                assertThat(vote.primary()).isEqualTo("region-a");
                assertThat(vote.epoch()).isEqualTo(1L);
            });
        });
        assertThat(decisions(topics))
                .extracting(FailoverDecision::epoch, FailoverDecision::primary)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, "region-a"));
        assertThat(b.view().snapshot().role()).isEqualTo("secondary");

        // region-a's own gateway is no longer ready: its coordinator's /health and its vote say so
        gatewayReady.set(503);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(TestHttp.localhost(a.port()).get("/health").statusCode()).isEqualTo(503);
            assertThat(latestVotes(topics).get("region-a").healthy()).isFalse();
        });
        assertThat(TestHttp.localhost(b.port()).get("/health").statusCode()).isEqualTo(200);
    }

    @Test
    void shouldLeaveTheQuorumGroupAndExitWhenTheProcessGetsSigterm() throws Exception {
        String name = SharedInfra.uniqueName("coordinator-sigterm");
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Map<String, String> env = env(name, "region-a");
        env.put(CoordinatorConfig.MANAGEMENT_PORT, Integer.toString(port));
        ProcessBuilder builder = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        "io.splitguard.coordinator.app.RegionCoordinatorMain")
                .redirectErrorStream(true)
                .redirectOutput(state.resolve("coordinator.log").toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        open.add(process::destroyForcibly);
        TopicCatalog topics = TopicCatalog.fromEnv(env);

        // refused until the process serves its port
        await().atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() -> {
            assertThat(process.isAlive()).as("the coordinator process runs").isTrue();
            assertThat(TestHttp.localhost(port).get("/health").statusCode()).isEqualTo(200);
            assertThat(latestVotes(topics)).containsKey("region-a");
        });
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfra.kafka().bootstrapServers()))) {
            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(
                            () -> assertThat(group(admin, name).members()).hasSize(1));

            process.destroy(); // SIGTERM

            assertThat(process.waitFor(30, TimeUnit.SECONDS))
                    .as("exits within 30 s of SIGTERM")
                    .isTrue();
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(group(admin, name).members())
                            .as("left the quorum group at once rather than after a session timeout")
                            .isEmpty());
        }
    }

    private static ConsumerGroupDescription group(Admin admin, String groupId) throws Exception {
        return admin.describeConsumerGroups(List.of(groupId))
                .all()
                .get(10, TimeUnit.SECONDS)
                .get(groupId);
    }
}
