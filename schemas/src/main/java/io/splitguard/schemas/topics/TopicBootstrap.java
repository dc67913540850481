package io.splitguard.schemas.topics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the catalog's topics and checks existing ones. Safe to run from every instance at every
 * start: topics that exist with the expected layout are left alone, a topic with another partition
 * count is an error (it would break co-partitioning), and so is one with fewer replicas or a lower
 * {@code min.insync.replicas} than the catalog asks for (acknowledged writes would be less durable).
 */
public final class TopicBootstrap {

    private static final Logger LOG = LoggerFactory.getLogger(TopicBootstrap.class);

    private TopicBootstrap() {}

    /**
     * Checks every topic's partition count. A topic just created may not be describable yet while
     * its metadata spreads through the cluster, so unknown-topic answers are retried until the deadline.
     */
    private static void checkPartitions(Admin admin, TopicCatalog catalog, long deadlineNanos)
            throws InterruptedException, ExecutionException, TimeoutException {
        List<String> names = catalog.all().stream().map(Topic::name).toList();
        long backoffMs = 50;
        while (true) {
            try {
                Map<String, TopicDescription> described = admin.describeTopics(names)
                        .allTopicNames()
                        .get(remainingMs(deadlineNanos), TimeUnit.MILLISECONDS);
                for (Topic<?, ?> topic : catalog.all()) {
                    TopicDescription description = described.get(topic.name());
                    int actual = description.partitions().size();
                    if (actual != topic.partitions()) {
                        throw new IllegalStateException("topic " + topic.name() + " has " + actual
                                + " partitions, the catalog says " + topic.partitions()
                                + "; session-keyed topics must stay co-partitioned");
                    }
                    int replicas = description.partitions().stream()
                            .mapToInt(p -> p.replicas().size())
                            .min()
                            .orElse(0);
                    if (replicas < topic.replicationFactor()) {
                        throw new IllegalStateException("topic " + topic.name() + " has replication factor " + replicas
                                + ", the catalog asks for " + topic.replicationFactor()
                                + " (SPLITGUARD_REPLICATION_FACTOR); reassign its partitions or fix the setting");
                    }
                }
                checkMinInSyncReplicas(admin, catalog, deadlineNanos);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
                        || remainingMs(deadlineNanos) <= backoffMs) {
                    throw e;
                }
                LOG.debug("topics not yet describable, retrying in {} ms", backoffMs);
                TimeUnit.MILLISECONDS.sleep(backoffMs);
                backoffMs = Math.min(backoffMs * 2, 1000);
            }
        }
    }

    /** Existing topics must require at least the catalog's {@code min.insync.replicas}: acks=all means no more. */
    private static void checkMinInSyncReplicas(Admin admin, TopicCatalog catalog, long deadlineNanos)
            throws InterruptedException, ExecutionException, TimeoutException {
        List<ConfigResource> resources = catalog.all().stream()
                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t.name()))
                .toList();
        Map<ConfigResource, Config> configs =
                admin.describeConfigs(resources).all().get(remainingMs(deadlineNanos), TimeUnit.MILLISECONDS);
        for (Topic<?, ?> topic : catalog.all()) {
            String wanted = topic.configs().get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
            Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic.name()));
            ConfigEntry entry = config == null ? null : config.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
            if (wanted == null || entry == null || entry.value() == null) {
                continue;
            }
            if (Integer.parseInt(entry.value()) < Integer.parseInt(wanted)) {
                throw new IllegalStateException("topic " + topic.name() + " has min.insync.replicas " + entry.value()
                        + ", the catalog asks for " + wanted + " (SPLITGUARD_MIN_INSYNC_REPLICAS); an acknowledged"
                        + " write would be durable on fewer replicas than promised");
            }
        }
    }

    private static long remainingMs(long deadlineNanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    public static void ensure(Admin admin, TopicCatalog catalog, long timeoutMs) {
        try {
            Set<String> existing = admin.listTopics().names().get(timeoutMs, TimeUnit.MILLISECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (Topic<?, ?> topic : catalog.all()) {
                if (!existing.contains(topic.name())) {
                    missing.add(new NewTopic(topic.name(), topic.partitions(), topic.replicationFactor())
                            .configs(topic.configs()));
                }
            }
            for (NewTopic topic : missing) {
                try {
                    admin.createTopics(List.of(topic)).all().get(timeoutMs, TimeUnit.MILLISECONDS);
                    LOG.info(
                            "created topic {} ({} partitions, rf {})",
                            topic.name(),
                            topic.numPartitions(),
                            topic.replicationFactor());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            checkPartitions(admin, catalog, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while bootstrapping topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot bootstrap topics: " + e.getMessage(), e);
        }
    }
}
