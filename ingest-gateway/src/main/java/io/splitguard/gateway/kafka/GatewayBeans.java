package io.splitguard.gateway.kafka;

import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import io.splitguard.gateway.config.GatewaySettings;
import io.splitguard.gateway.config.KafkaSettings;
import io.splitguard.gateway.config.LookupSettings;
import io.splitguard.gateway.config.TopicSettings;
import io.splitguard.gateway.idempotency.IdempotencyCache;
import io.splitguard.gateway.idempotency.StoredOutcomes;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** The catalog, the idempotency cache and its database fallback, built from configuration. */
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
                ensureWithRetries(admin, catalog);
            }
        }
        return catalog;
    }

    @Singleton
    IdempotencyCache idempotencyCache(GatewaySettings gateway) {
        return new IdempotencyCache(
                gateway.getDedupWindow(), gateway.getCacheMaxEntries(), gateway.getFilterExpectedKeys());
    }

    /** The fallback of idempotency lookups, when a database is configured. */
    @Singleton
    @Bean(preDestroy = "close")
    @Requires(property = "splitguard.idempotency.lookup.jdbc-url", pattern = ".*\\S.*")
    StoredOutcomes storedOutcomes(LookupSettings lookup) {
        return new StoredOutcomes(lookup);
    }

    /** Describing a topic just created can fail until its metadata has propagated: try a few times. */
    private static void ensureWithRetries(Admin admin, TopicCatalog catalog) {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                TopicBootstrap.ensure(admin, catalog, 10_000);
                return;
            } catch (IllegalStateException e) {
                last = e;
                LockSupport.parkNanos(Duration.ofMillis(500).toNanos());
            }
        }
        throw last;
    }
}
