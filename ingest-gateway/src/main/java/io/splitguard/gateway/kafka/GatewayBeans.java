package io.splitguard.gateway.kafka;

import io.micronaut.context.annotation.Factory;
import io.splitguard.gateway.config.GatewaySettings;
import io.splitguard.gateway.config.KafkaSettings;
import io.splitguard.gateway.config.TopicSettings;
import io.splitguard.gateway.idempotency.IdempotencyCache;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import jakarta.inject.Singleton;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** The catalog and the idempotency cache, built from configuration. */
@Factory
public class GatewayBeans {

    @Singleton
    TopicCatalog topicCatalog(TopicSettings topics, GatewaySettings gateway, KafkaSettings kafka) {
        TopicCatalog catalog = TopicCatalog.builder()
                .prefix(topics.getPrefix())
                .sessionPartitions(topics.getSessionPartitions())
                .dedupWindow(gateway.getDedupWindow())
                .build();
        if (topics.isBootstrap()) {
            try (Admin admin =
                    Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBootstrapServers()))) {
                TopicBootstrap.ensure(admin, catalog, 30_000);
            }
        }
        return catalog;
    }

    @Singleton
    IdempotencyCache idempotencyCache(GatewaySettings gateway) {
        return new IdempotencyCache(gateway.getDedupWindow(), gateway.getCacheMaxEntries());
    }
}
