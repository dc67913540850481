package io.splitguard.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.splitguard.schemas.model.FailoverDecision;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three regions on the real broker, each with its composite health, its view of the region topics
 * and its voter; one quorum topology. The primary turns unhealthy, the other two see it and vote so,
 * and the decision appears on failover-decisions. The topology is then restarted with empty local
 * state (restored from its changelog) and a second failover continues the epochs.
 */
@ExtendWith(SharedInfra.class)
class RegionQuorumIT {

    private static final List<String> REGIONS = List.of("us-east", "eu-west", "ap-south");

    @TempDir
    Path state;

    private final List<AutoCloseable> open = new ArrayList<>();
    private final Map<String, AtomicBoolean> up = new HashMap<>();
    private final Map<String, RegionView> views = new HashMap<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private RegionSettings settings(String region, String applicationId) {
        return RegionSettings.fromEnv(Map.of(
                RegionSettings.REGIONS,
                String.join(",", REGIONS),
                RegionSettings.REGION,
                region,
                RegionSettings.VOTE_INTERVAL,
                "PT0.3S",
                RegionSettings.VOTE_MAX_AGE,
                "PT3S",
                RegionSettings.QUORUM_APPLICATION_ID,
                applicationId));
    }

    private <T extends AutoCloseable> T track(T resource) {
        open.add(resource);
        return resource;
    }

    private void startRegion(String bootstrap, TopicCatalog topics, RegionSettings settings) {
        startRegion(bootstrap, topics, settings, true);
    }

    private void startRegion(String bootstrap, TopicCatalog topics, RegionSettings settings, boolean startHealthy) {
        AtomicBoolean healthy = new AtomicBoolean(startHealthy);
        up.put(settings.region(), healthy);
        CompositeHealth composite = track(CompositeHealth.builder()
                .interval(Duration.ofMillis(100))
                .reentryChecks(1)
                .component(
                        CompositeHealth.APPLICATION,
                        () -> healthy.get()
                                ? ComponentHealth.healthy(Map.of())
                                : ComponentHealth.unhealthy("switched off by the test"))
                .start());
        RegionView view = track(RegionView.start(bootstrap, Map.of(), topics, settings, Clock.systemUTC()));
        views.put(settings.region(), view);
        track(RegionVoter.create(bootstrap, Map.of(), topics, settings, composite::report, view, Clock.systemUTC())
                .start());
    }

    /** Every vote {@code region} published on region-health so far. */
    private static List<io.splitguard.schemas.model.RegionVote> votesOf(
            String bootstrap, TopicCatalog topics, String region) {
        TopicPartition partition = new TopicPartition(topics.regionHealth.name(), 0);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            List<io.splitguard.schemas.model.RegionVote> out = new ArrayList<>();
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (region.equals(r.key())) {
                        out.add(topics.regionHealth.valueSerde().deserializer().deserialize(r.topic(), r.value()));
                    }
                }
            }
            return out;
        }
    }

    private static List<FailoverDecision> decisions(String bootstrap, TopicCatalog topics) {
        TopicPartition partition = new TopicPartition(topics.failoverDecisions.name(), 0);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed"),
                new StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            List<FailoverDecision> out = new ArrayList<>();
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(topics.failoverDecisions.valueSerde().deserializer().deserialize(r.topic(), r.value()));
                }
            }
            return out;
        }
    }

    @Test
    void shouldAbstainFromVotingUntilTheRegionHasBeenHealthyOnceAndVoteEveryStateAfterWhenItStartsUnhealthy()
            throws Exception {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String name = SharedInfra.uniqueName("abstain");
        TopicCatalog topics =
                TopicCatalog.builder().prefix(name + ".").sessionPartitions(1).build();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        startRegion(bootstrap, topics, settings("us-east", name), true);
        startRegion(bootstrap, topics, settings("eu-west", name), false);

        // us-east's votes arrive while eu-west, not yet healthy, sends none (a warming primary is not voted out)
        await().atMost(Duration.ofSeconds(30))
                .until(() -> votesOf(bootstrap, topics, "us-east").size() >= 3);
        await().during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(10))
                .until(() -> votesOf(bootstrap, topics, "eu-west").isEmpty());

        up.get("eu-west").set(true);
        await().atMost(Duration.ofSeconds(30)).until(() -> votesOf(bootstrap, topics, "eu-west").stream()
                .anyMatch(io.splitguard.schemas.model.RegionVote::healthy));
        up.get("eu-west").set(false);

        // once it has been healthy, an unhealthy state is voted like any other
        await().atMost(Duration.ofSeconds(30))
                .until(() -> votesOf(bootstrap, topics, "eu-west").stream().anyMatch(v -> !v.healthy()));
    }

    @Test
    void shouldFailOverToTheNextHealthyRegionWithEpochPlusOneWhenThePrimaryTurnsUnhealthy() throws Exception {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String name = SharedInfra.uniqueName("quorum");
        TopicCatalog topics =
                TopicCatalog.builder().prefix(name + ".").sessionPartitions(1).build();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        RegionQuorumStreams quorum = RegionQuorumStreams.start(
                bootstrap, topics, settings("us-east", name), Files.createDirectory(state.resolve("a")), Map.of());
        for (String region : REGIONS) {
            startRegion(bootstrap, topics, settings(region, name));
        }

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(decisions(bootstrap, topics))
                .extracting(FailoverDecision::epoch, FailoverDecision::primary)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, "us-east")));

        up.get("us-east").set(false);

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(decisions(bootstrap, topics))
                .extracting(FailoverDecision::epoch, FailoverDecision::primary)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1L, "us-east"),
                        org.assertj.core.groups.Tuple.tuple(2L, "eu-west")));

        // restart the topology elsewhere with no local state: the decision comes back from the changelog
        quorum.close();
        RegionQuorumStreams restarted = track(RegionQuorumStreams.start(
                bootstrap, topics, settings("ap-south", name), Files.createDirectory(state.resolve("b")), Map.of()));
        await().atMost(Duration.ofSeconds(60)).until(() -> restarted.state() == KafkaStreams.State.RUNNING);
        up.get("us-east").set(true);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                        views.get("ap-south").snapshot().regions().get(0))
                .satisfies(us -> {
                    assertThat(us.fresh()).isTrue();
                    assertThat(us.vote().healthy()).isTrue();
                }));
        up.get("eu-west").set(false);

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            List<FailoverDecision> decisions = decisions(bootstrap, topics);
            assertThat(decisions)
                    .extracting(FailoverDecision::epoch, FailoverDecision::primary)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple(1L, "us-east"),
                            org.assertj.core.groups.Tuple.tuple(2L, "eu-west"),
                            org.assertj.core.groups.Tuple.tuple(3L, "us-east"));
            assertThat(decisions.get(2).against()).hasSizeGreaterThanOrEqualTo(2);
        });
    }
}
