package io.splitguard.schemas.topics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the catalog's topics and checks existing ones. Safe to run from every instance at every
 * start: topics that exist with the expected layout are left alone, a topic with another partition
 * count is an error (it would break co-partitioning).
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
                    int actual = described.get(topic.name()).partitions().size();
                    if (actual != topic.partitions()) {
                        throw new IllegalStateException("topic " + topic.name() + " has " + actual
                                + " partitions, the catalog says " + topic.partitions()
                                + "; session-keyed topics must stay co-partitioned");
                    }
                }
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
