package io.splitguard.schemas.region;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.splitguard.schemas.json.Json;
import io.splitguard.schemas.json.JsonSchemas;
import io.splitguard.schemas.json.JsonSerde;
import io.splitguard.schemas.json.SchemaId;
import io.splitguard.schemas.model.FailoverDecision;
import io.splitguard.schemas.model.RegionVote;
import io.splitguard.schemas.topics.TopicCatalog;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class RegionTopicsTest {

    private static final Instant T = Instant.parse("2026-12-01T10:00:00Z");

    @Test
    void shouldDeclareBothRegionTopicsCompactedWithOnePartitionWhenTheCatalogIsBuilt() {
        TopicCatalog catalog = TopicCatalog.fromEnv(Map.of(
                "SPLITGUARD_TOPIC_PREFIX", "x.",
                "SPLITGUARD_SESSION_PARTITIONS", "7",
                "SPLITGUARD_REPLICATION_FACTOR", "3",
                "SPLITGUARD_MIN_INSYNC_REPLICAS", "2"));

        assertThat(catalog.regionHealth.name()).isEqualTo("x.region-health");
        assertThat(catalog.failoverDecisions.name()).isEqualTo("x.failover-decisions");
        assertThat(catalog.all()).contains(catalog.regionHealth, catalog.failoverDecisions);
        assertThat(catalog.sessionTopics()).doesNotContain(catalog.regionHealth, catalog.failoverDecisions);
        assertThat(List.of(catalog.regionHealth, catalog.failoverDecisions)).allSatisfy(t -> {
            assertThat(t.partitions()).isEqualTo(1);
            assertThat(t.replicationFactor()).isEqualTo((short) 3);
            assertThat(t.configs())
                    .containsEntry("cleanup.policy", "compact")
                    .containsEntry("min.insync.replicas", "2");
        });
        assertThat(catalog.regionHealth.configs()).containsEntry("message.timestamp.type", "LogAppendTime");
        assertThat(catalog.failoverDecisions.configs()).containsKey("min.compaction.lag.ms");
    }

    @Test
    void shouldRoundTripVotesAndDecisionsThroughTheirSchemasWhenWrittenAndRead() {
        JsonSerde<RegionVote> votes = JsonSerde.of(RegionVote.class, SchemaId.REGION_VOTE);
        JsonSerde<FailoverDecision> decisions = JsonSerde.of(FailoverDecision.class, SchemaId.FAILOVER_DECISION);
        RegionVote vote = new RegionVote("eu-west", true, "healthy", "us-east", 3, false, T);
        FailoverDecision decision = new FailoverDecision(
                4,
                "eu-west",
                "us-east",
                FailoverDecision.REASON_MAJORITY,
                List.of("eu-west", "ap-south"),
                List.of("us-east", "eu-west", "ap-south"),
                T);

        assertThat(votes.fromBytes(votes.toBytes(vote))).isEqualTo(vote);
        assertThat(decisions.fromBytes(decisions.toBytes(decision))).isEqualTo(decision);
        assertThat(JsonSchemas.get()
                        .violations(SchemaId.REGION_VOTE, Json.mapper().valueToTree(vote)))
                .isEmpty();
        assertThatThrownBy(() -> decisions.fromBytes(
                        "{\"epoch\":0,\"primary\":\"x\",\"reason\":\"initial\",\"decided_at\":\"2026-01-01T00:00:00Z\"}"
                                .getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SerializationException.class);
    }

    @Test
    void shouldCountAVoteAgainstThePrimaryOnlyWhenItSpeaksAboutThatPrimaryAtItsEpoch() {
        RegionVote primaryDown = new RegionVote("us-east", false, "unhealthy", "us-east", 1, false, T);
        RegionVote peerSeesDown = new RegionVote("eu-west", true, "healthy", "us-east", 3, false, T);
        RegionVote peerOtherPrimary = new RegionVote("eu-west", true, "healthy", "ap-south", 3, false, T);
        RegionVote peerEarlierEpoch = new RegionVote("eu-west", true, "healthy", "us-east", 1, false, T);
        RegionVote peerSeesUp = new RegionVote("eu-west", true, "healthy", "us-east", 3, true, T);

        assertThat(primaryDown.saysUnhealthy("us-east", 3)).isTrue();
        assertThat(peerSeesDown.saysUnhealthy("us-east", 3)).isTrue();
        assertThat(peerOtherPrimary.saysUnhealthy("us-east", 3)).isFalse();
        assertThat(peerEarlierEpoch.saysUnhealthy("us-east", 3))
                .as("us-east was primary at epoch 1 too; that vote is about then")
                .isFalse();
        assertThat(peerSeesUp.saysUnhealthy("us-east", 3)).isFalse();
    }
}
