package io.splitguard.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.splitguard.testsupport.SharedInfra;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** kafka_quorum against the real (single, combined-mode KRaft) broker. */
@ExtendWith(SharedInfra.class)
class KafkaQuorumCheckIT {

    private static void create(Admin admin, String name, int minIsr) throws Exception {
        admin.createTopics(List.of(new NewTopic(name, Optional.of(2), Optional.of((short) 1))
                        .configs(Map.of("min.insync.replicas", Integer.toString(minIsr)))))
                .all()
                .get();
    }

    @Test
    void shouldBeHealthyWithTheQuorumAndTopicsWhenEveryPartitionHasItsMinIsr() throws Exception {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String topic = SharedInfra.uniqueName("quorum-ok");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
                KafkaQuorumCheck check =
                        KafkaQuorumCheck.create(bootstrap, Map.of(), List.of(topic), Duration.ofSeconds(10))) {
            create(admin, topic, 1);

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                ComponentHealth health = check.check();
                assertThat(health.status()).as(health.details().toString()).isEqualTo(ComponentHealth.Status.HEALTHY);
                assertThat(health.details())
                        .containsEntry("brokers", 1)
                        .containsEntry("quorum_voters", 1)
                        .containsEntry("partitions", 2)
                        .containsEntry("min_insync_replicas", 1)
                        .containsEntry("under_min_isr_partitions", 0)
                        .containsEntry("offline_partitions", 0);
                assertThat((Integer) health.details().get("quorum_leader")).isNotNegative();
            });
        }
    }

    @Test
    void shouldBeUnhealthyNamingThePartitionsWhenATopicIsUnderItsMinIsr() throws Exception {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String fine = SharedInfra.uniqueName("quorum-fine");
        String starved = SharedInfra.uniqueName("quorum-starved");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
                KafkaQuorumCheck check =
                        KafkaQuorumCheck.create(bootstrap, Map.of(), List.of(fine, starved), Duration.ofSeconds(10))) {
            create(admin, fine, 1);
            // one replica can never satisfy min.insync.replicas=2: acks=all writes are refused
            create(admin, starved, 2);

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                ComponentHealth health = check.check();
                assertThat(health.status()).isEqualTo(ComponentHealth.Status.UNHEALTHY);
                assertThat(health.details())
                        .containsEntry("under_min_isr_partitions", 2)
                        .containsEntry("under_min_isr", List.of(starved + "-0", starved + "-1"))
                        .containsEntry("error", "2 partition(s) under min.insync.replicas");
            });
        }
    }

    @Test
    void shouldBeUnhealthyWhenATopicIsMissing() throws Exception {
        String bootstrap = SharedInfra.kafka().bootstrapServers();
        String missing = SharedInfra.uniqueName("quorum-missing");
        try (KafkaQuorumCheck check =
                KafkaQuorumCheck.create(bootstrap, Map.of(), List.of(missing), Duration.ofSeconds(10))) {
            ComponentHealth health = check.check();

            assertThat(health.status()).isEqualTo(ComponentHealth.Status.UNHEALTHY);
            assertThat(health.details().get("error")).isEqualTo("topic missing: " + missing);
        }
    }
}
