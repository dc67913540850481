package io.splitguard.topology.faults;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.testsupport.SharedInfra;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The bootstrap checks the durability of topics that already exist, not only their partition count. */
@ExtendWith(SharedInfra.class)
class TopicDurabilityIT {

    @Test
    void shouldRefuseExistingTopicsWithFewerReplicasThanTheCatalogAsksFor() {
        String prefix = SharedInfra.uniqueName("durability") + ".";
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfra.kafka().bootstrapServers()))) {
            TopicBootstrap.ensure(
                    admin,
                    TopicCatalog.builder().prefix(prefix).sessionPartitions(2).build(),
                    30_000);
            TopicCatalog wantsThree = TopicCatalog.builder()
                    .prefix(prefix)
                    .sessionPartitions(2)
                    .replication(3, 2)
                    .build();

            assertThatThrownBy(() -> TopicBootstrap.ensure(admin, wantsThree, 30_000))
                    .hasMessageContaining("replication factor 1")
                    .hasMessageContaining("SPLITGUARD_REPLICATION_FACTOR");
        }
    }
}
