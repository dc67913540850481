package io.splitguard.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.splitguard.schemas.model.FailoverDecision;
import io.splitguard.schemas.model.RegionVote;
import io.splitguard.schemas.topics.TopicCatalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The quorum rule on the real topology, driven by hand: votes in, decisions out, the wall clock moved explicitly. */
class RegionQuorumTopologyTest {

    private static final String US = "us-east";
    private static final String EU = "eu-west";
    private static final String AP = "ap-south";
    private static final List<String> REGIONS = List.of(US, EU, AP);
    private static final Duration MAX_AGE = Duration.ofSeconds(10);
    private static final Instant START = Instant.parse("2026-12-01T10:00:00Z");

    private final TopicCatalog topics = TopicCatalog.builder().prefix("q.").build();
    private final List<TopologyTestDriver> drivers = new ArrayList<>();

    @TempDir
    Path state;

    private final class Quorum {
        final TopologyTestDriver driver;
        final TestInputTopic<String, RegionVote> votes;
        final TestInputTopic<String, FailoverDecision> decisionsIn;
        final TestOutputTopic<String, FailoverDecision> decisions;
        final List<FailoverDecision> seen = new ArrayList<>();

        Quorum(List<String> regions, Path dir) {
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, "quorum-test");
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
            props.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
            props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
            driver = new TopologyTestDriver(
                    RegionQuorumTopology.build(topics, regions, regions.get(0), MAX_AGE, Duration.ofSeconds(1)),
                    props,
                    START);
            drivers.add(driver);
            votes = driver.createInputTopic(
                    topics.regionHealth.name(),
                    new StringSerializer(),
                    topics.regionHealth.valueSerde().serializer());
            decisionsIn = driver.createInputTopic(
                    topics.failoverDecisions.name(),
                    new StringSerializer(),
                    topics.failoverDecisions.valueSerde().serializer());
            decisions = driver.createOutputTopic(
                    topics.failoverDecisions.name(),
                    new StringDeserializer(),
                    topics.failoverDecisions.valueSerde().deserializer());
        }

        Duration elapsed = Duration.ZERO;

        Instant now() {
            return START.plus(elapsed);
        }

        void advance(Duration by) {
            elapsed = elapsed.plus(by);
            driver.advanceWallClockTime(by);
        }

        /** A vote appended by the broker now. */
        void vote(String region, boolean healthy, String primary, boolean primaryHealthy) {
            voteAppendedAt(region, healthy, primary, primaryHealthy, now());
        }

        void voteAppendedAt(String region, boolean healthy, String primary, boolean primaryHealthy, Instant appended) {
            voteAt(
                    region,
                    healthy,
                    primary,
                    current().map(FailoverDecision::epoch).orElse(0L),
                    primaryHealthy,
                    appended);
        }

        void voteAt(
                String region, boolean healthy, String primary, long epoch, boolean primaryHealthy, Instant appended) {
            votes.pipeInput(
                    region,
                    new RegionVote(
                            region,
                            healthy,
                            healthy ? "healthy" : "unhealthy",
                            primary,
                            epoch,
                            primaryHealthy,
                            // a voter's own stamp far in the future: it must not matter
                            now().plus(Duration.ofDays(365))),
                    appended);
        }

        java.util.Optional<FailoverDecision> current() {
            KeyValueStore<String, FailoverDecision> store =
                    driver.getKeyValueStore(RegionQuorumTopology.DECISION_STORE);
            return java.util.Optional.ofNullable(store.get(FailoverDecision.KEY));
        }

        List<FailoverDecision> decisions() {
            decisions.readValuesToList().forEach(seen::add);
            return List.copyOf(seen);
        }

        /** Every region healthy, every one agreeing on {@code primary} being healthy. */
        void allHealthy(String primary) {
            for (String r : REGIONS) {
                vote(r, true, primary, true);
            }
        }
    }

    @AfterEach
    void close() {
        drivers.forEach(TopologyTestDriver::close);
    }

    private static void assertOnePrimaryPerEpochStrictlyIncreasing(List<FailoverDecision> decisions) {
        Map<Long, String> primaries = new HashMap<>();
        long previous = 0;
        for (FailoverDecision d : decisions) {
            assertThat(d.epoch()).as("epochs increase by one: %s", decisions).isEqualTo(previous + 1);
            assertThat(primaries.put(d.epoch(), d.primary()))
                    .as("one primary in epoch %d", d.epoch())
                    .isNull();
            previous = d.epoch();
        }
    }

    @Test
    void shouldDecideTheInitialPrimaryAtEpochOneWhenTheFirstVoteArrives() {
        Quorum q = new Quorum(REGIONS, state);

        q.allHealthy(US);
        q.advance(Duration.ofSeconds(3));

        assertThat(q.decisions()).singleElement().satisfies(d -> {
            assertThat(d.epoch()).isEqualTo(1);
            assertThat(d.primary()).isEqualTo(US);
            assertThat(d.reason()).isEqualTo(FailoverDecision.REASON_INITIAL);
        });
    }

    @Test
    void shouldPromoteTheFirstHealthyOtherRegionWithEpochPlusOneWhenAMajoritySaysThePrimaryIsUnhealthy() {
        Quorum q = new Quorum(REGIONS, state);
        q.allHealthy(US);

        q.vote(US, false, US, false);
        q.vote(AP, true, US, false);

        List<FailoverDecision> decisions = q.decisions();
        assertThat(decisions).hasSize(2);
        FailoverDecision failover = decisions.get(1);
        assertThat(failover.epoch()).isEqualTo(2);
        assertThat(failover.primary())
                .as("first healthy region in the configured order")
                .isEqualTo(EU);
        assertThat(failover.previousPrimary()).isEqualTo(US);
        assertThat(failover.reason()).isEqualTo(FailoverDecision.REASON_MAJORITY);
        assertThat(failover.against()).containsExactly(US, AP);
        assertThat(q.current()).contains(failover);
    }

    @Test
    void shouldFailOverWhenThePrimarysVotesStopAndTheOtherTwoSayItIsUnhealthy() {
        Quorum q = new Quorum(REGIONS, state);
        q.allHealthy(US);

        // us-east goes silent; its last (healthy) vote ages out while the others keep voting
        for (int i = 0; i < 12; i++) {
            q.advance(Duration.ofSeconds(1));
            q.vote(EU, true, US, i < 5);
            q.vote(AP, true, US, i < 5);
        }

        assertThat(q.decisions())
                .extracting(FailoverDecision::epoch, FailoverDecision::primary)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1L, US), org.assertj.core.groups.Tuple.tuple(2L, EU));
    }

    @Test
    void shouldNeverPromoteWhenOnlyOneRegionOfThreeSaysThePrimaryIsUnhealthy() {
        Quorum q = new Quorum(REGIONS, state);
        q.allHealthy(US);

        for (int i = 0; i < 30; i++) {
            q.vote(AP, true, US, false);
            q.vote(US, true, US, true);
            q.vote(EU, true, US, true);
            q.advance(Duration.ofSeconds(1));
        }

        assertThat(q.decisions()).extracting(FailoverDecision::epoch).containsExactly(1L);
        assertThat(q.current()).hasValueSatisfying(d -> assertThat(d.primary()).isEqualTo(US));
    }

    @Test
    void shouldNeverPromoteARegionWhenItAloneVotesThePrimaryUnhealthy() {
        // two regions: the secondary's own view is one vote of two, never a strict majority
        Quorum q = new Quorum(List.of(US, EU), state);
        q.vote(US, true, US, true);
        q.vote(EU, true, US, true);

        for (int i = 0; i < 30; i++) {
            q.vote(EU, true, US, false);
            q.advance(Duration.ofSeconds(1));
        }

        assertThat(q.decisions()).extracting(FailoverDecision::primary).containsExactly(US);
    }

    @Test
    void shouldNotCountAVoteWhenItIsOlderThanTheBoundOnTheWallClock() {
        Quorum q = new Quorum(REGIONS, state);
        q.allHealthy(US);

        q.vote(EU, true, US, false);
        q.advance(MAX_AGE.plusSeconds(1));
        // the earlier vote has aged out on the processing instance's clock: this one alone is a minority
        q.vote(AP, true, US, false);
        // appended by the broker long ago (e.g. replayed after an outage): stale however recently processed
        q.voteAppendedAt(US, false, US, false, q.now().minus(MAX_AGE.multipliedBy(3)));
        q.advance(Duration.ofSeconds(2));

        assertThat(q.decisions()).extracting(FailoverDecision::epoch).containsExactly(1L);

        q.vote(EU, true, US, false);

        assertThat(q.decisions()).extracting(FailoverDecision::epoch).containsExactly(1L, 2L);
    }

    @Test
    void shouldIncreaseTheEpochStrictlyWhenTwoFailoversFollowEachOther() {
        Quorum q = new Quorum(REGIONS, state);
        q.allHealthy(US);
        q.vote(US, false, US, false);
        q.vote(EU, true, US, false);
        assertThat(q.current()).hasValueSatisfying(d -> assertThat(d.primary()).isEqualTo(EU));

        // us-east recovers; now eu-west fails and the majority says so about the new primary
        q.advance(Duration.ofSeconds(1));
        q.vote(US, true, EU, false);
        q.vote(EU, false, EU, false);
        q.vote(AP, true, EU, false);

        List<FailoverDecision> decisions = q.decisions();
        assertThat(decisions)
                .extracting(FailoverDecision::epoch, FailoverDecision::primary)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1L, US),
                        org.assertj.core.groups.Tuple.tuple(2L, EU),
                        org.assertj.core.groups.Tuple.tuple(3L, US));
        assertOnePrimaryPerEpochStrictlyIncreasing(decisions);
    }

    @Test
    void shouldNotCountAVoteAboutAnEarlierEpochWhenItNamesTheSamePrimaryAgain() {
        Quorum q = new Quorum(REGIONS, state);
        q.allHealthy(US);
        q.vote(US, false, US, false);
        q.vote(EU, true, US, false);
        q.advance(Duration.ofSeconds(1));
        q.vote(US, true, EU, false);
        q.vote(EU, false, EU, false);
        assertThat(q.current()).hasValueSatisfying(d -> {
            assertThat(d.epoch()).isEqualTo(3);
            assertThat(d.primary()).isEqualTo(US);
        });

        // ap-south still believes the epoch-1 decision (us-east) and says it is down: not about epoch 3
        q.voteAt(AP, true, US, 1, false, q.now());
        q.vote(EU, true, US, true);
        q.advance(Duration.ofSeconds(3));

        assertThat(q.decisions()).extracting(FailoverDecision::epoch).containsExactly(1L, 2L, 3L);

        q.vote(AP, true, US, false);
        q.vote(EU, true, US, false);
        assertThat(q.decisions()).extracting(FailoverDecision::epoch).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void shouldContinueFromTheLatestEpochWhenRestartedFromTheDecisionsTopic() throws Exception {
        Quorum first = new Quorum(REGIONS, Files.createDirectory(state.resolve("first")));
        first.allHealthy(US);
        first.vote(US, false, US, false);
        first.vote(EU, true, US, false);
        List<FailoverDecision> written = first.decisions();
        assertThat(written).extracting(FailoverDecision::epoch).containsExactly(1L, 2L);
        first.driver.close();
        drivers.remove(first.driver);

        // a new instance with no local state reads the decisions topic back before new votes
        Quorum second = new Quorum(REGIONS, Files.createDirectory(state.resolve("second")));
        written.forEach(d -> second.decisionsIn.pipeInput(FailoverDecision.KEY, d, d.decidedAt()));
        // a stale copy of an older decision read later never lowers it
        second.decisionsIn.pipeInput(
                FailoverDecision.KEY, written.get(0), written.get(0).decidedAt());
        assertThat(second.current()).contains(written.get(1));

        second.vote(US, true, EU, true);
        second.vote(EU, false, EU, false);
        second.vote(AP, true, EU, true);
        assertThat(second.decisions()).as("a minority after the restart").isEmpty();

        second.vote(AP, true, EU, false);
        assertThat(second.decisions()).singleElement().satisfies(d -> {
            assertThat(d.epoch()).isEqualTo(3);
            assertThat(d.primary()).isEqualTo(US);
            assertThat(d.previousPrimary()).isEqualTo(EU);
        });
    }

    @Test
    void shouldKeepOnePrimaryPerEpochWhenVotesFlapAtRandom() {
        Quorum q = new Quorum(REGIONS, state);
        Random random = new Random(42);
        q.allHealthy(US);
        for (int i = 0; i < 2_000; i++) {
            String region = REGIONS.get(random.nextInt(REGIONS.size()));
            String believed = q.current().map(FailoverDecision::primary).orElse(US);
            if (random.nextInt(10) == 0) {
                believed = REGIONS.get(random.nextInt(REGIONS.size()));
            }
            q.vote(region, random.nextInt(4) != 0, believed, random.nextInt(3) != 0);
            if (random.nextInt(20) == 0) {
                q.advance(Duration.ofSeconds(random.nextInt(15)));
            }
        }

        List<FailoverDecision> decisions = q.decisions();
        assertThat(decisions).hasSizeGreaterThan(2);
        assertOnePrimaryPerEpochStrictlyIncreasing(decisions);
        for (FailoverDecision d : decisions.subList(1, decisions.size())) {
            assertThat(d.against())
                    .as("a strict majority of 3 voted against %s", d.previousPrimary())
                    .hasSizeGreaterThanOrEqualTo(2);
            assertThat(d.primary()).isNotEqualTo(d.previousPrimary());
        }
    }
}
