package io.splitguard.gateway.kafka;

import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.env.Environment;
import io.micronaut.core.value.PropertyResolver;
import io.splitguard.gateway.config.ClientProperties;
import io.splitguard.gateway.config.GatewaySettings;
import io.splitguard.gateway.config.KafkaSettings;
import io.splitguard.gateway.config.LookupSettings;
import io.splitguard.gateway.config.TopicSettings;
import io.splitguard.gateway.idempotency.IdempotencyCache;
import io.splitguard.gateway.idempotency.StoredOutcomes;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** The catalog, the idempotency cache and its database fallback, built from configuration. */
@Factory
public class GatewayBeans {

    /**
     * The catalog from the settings every service reads, under the same names: the environment
     * variable {@code SPLITGUARD_TOPIC_PREFIX} (Micronaut property {@code splitguard.topic.prefix}),
     * {@code SPLITGUARD_SESSION_PARTITIONS}, {@code SPLITGUARD_DEDUP_WINDOW}, the replication settings.
     * Below replication factor 3 / min ISR 2 the gateway refuses to start unless
     * {@code SPLITGUARD_ALLOW_REDUCED_DURABILITY} is true.
     */
    @Singleton
    TopicCatalog topicCatalog(
            Environment environment, TopicSettings topics, KafkaSettings kafka, ClientProperties clients) {
        TopicCatalog catalog = TopicCatalog.forService(commonSettings(environment));
        if (topics.isBootstrap()) {
            Map<String, Object> config = new HashMap<>(clients.admin());
            config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBootstrapServers());
            try (Admin admin = Admin.create(config)) {
                ensureWithRetries(admin, catalog);
            }
        }
        return catalog;
    }

    /**
     * The common settings by their environment names, read through Micronaut, which maps the
     * environment variable {@code SPLITGUARD_TOPIC_PREFIX} to {@code splitguard.topic.prefix}; a
     * property file may use that name too.
     */
    static Map<String, String> commonSettings(PropertyResolver properties) {
        return settings(properties, CommonSettings.DEFINITION.names());
    }

    /**
     * The settings {@code names} (environment names, e.g. {@code SPLITGUARD_HEALTH_CHECK_INTERVAL}) read
     * through Micronaut under their property names ({@code splitguard.health.check.interval}).
     */
    static Map<String, String> settings(PropertyResolver properties, java.util.Collection<String> names) {
        Map<String, String> found = new HashMap<>();
        for (String name : names) {
            properties
                    .getProperty(name.toLowerCase(Locale.ROOT).replace('_', '.'), String.class)
                    .ifPresent(value -> found.put(name, value));
        }
        return found;
    }

    @Singleton
    IdempotencyCache idempotencyCache(GatewaySettings gateway, TopicCatalog catalog) {
        return new IdempotencyCache(
                catalog.dedupWindow(), gateway.getCacheMaxEntries(), gateway.getFilterExpectedKeys());
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
