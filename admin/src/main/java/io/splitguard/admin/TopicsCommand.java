package io.splitguard.admin;

import io.splitguard.schemas.topics.Topic;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import picocli.CommandLine.Command;

/** The catalog's topics: create them, or check the existing ones against the catalog. */
@Command(
        name = "topics",
        mixinStandardHelpOptions = true,
        description = "Create the catalog's topics, or check existing ones against it.",
        subcommands = {TopicsCommand.Create.class, TopicsCommand.Validate.class})
final class TopicsCommand {

    private static final long TIMEOUT_MS = 30_000;

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description =
                    "Create the missing topics of the catalog (as the services do at start) and check the others.")
    static final class Create extends AdminCommand implements Callable<Integer> {
        @Override
        public Integer call() {
            TopicCatalog catalog = settings().catalog();
            try (Admin admin = settings().admin()) {
                TopicBootstrap.ensure(admin, catalog, TIMEOUT_MS);
            }
            catalog.all().forEach(t -> out().printf(
                            "%s: %d partitions, replication factor %d%n",
                            t.name(), t.partitions(), t.replicationFactor()));
            return SplitGuardAdmin.OK;
        }
    }

    @Command(
            name = "validate",
            mixinStandardHelpOptions = true,
            description = "Check that every topic of the catalog exists with its partitions, replication and configs"
                    + " (retention, cleanup policy, min ISR); exit 1 listing every difference.")
    static final class Validate extends AdminCommand implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            TopicCatalog catalog = settings().catalog();
            List<String> problems;
            try (Admin admin = settings().admin()) {
                problems = differences(admin, catalog);
            }
            if (problems.isEmpty()) {
                out().printf("all %d topics match the catalog%n", catalog.all().size());
                return SplitGuardAdmin.OK;
            }
            problems.forEach(p -> out().println(p));
            out().println("(a topic's configs can be aligned with kafka-configs.sh --alter --add-config; partition"
                    + " counts must never change on a running deployment)");
            return SplitGuardAdmin.REFUSED;
        }
    }

    /** Every way the existing topics differ from the catalog; empty when they match. */
    static List<String> differences(Admin admin, TopicCatalog catalog) throws Exception {
        List<String> problems = new ArrayList<>();
        Set<String> existing = admin.listTopics().names().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        List<Topic<?, ?>> present = new ArrayList<>();
        for (Topic<?, ?> topic : catalog.all()) {
            if (existing.contains(topic.name())) {
                present.add(topic);
            } else {
                problems.add(topic.name() + ": missing");
            }
        }
        if (present.isEmpty()) {
            return problems;
        }
        Map<String, TopicDescription> described = admin.describeTopics(
                        present.stream().map(Topic::name).toList())
                .allTopicNames()
                .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Map<ConfigResource, Config> configs = admin.describeConfigs(present.stream()
                        .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t.name()))
                        .toList())
                .all()
                .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        for (Topic<?, ?> topic : present) {
            TopicDescription d = described.get(topic.name());
            if (d.partitions().size() != topic.partitions()) {
                problems.add(topic.name() + ": " + d.partitions().size() + " partitions, the catalog says "
                        + topic.partitions());
            }
            int replicas = d.partitions().stream()
                    .mapToInt(p -> p.replicas().size())
                    .min()
                    .orElse(0);
            if (replicas < topic.replicationFactor()) {
                problems.add(topic.name() + ": replication factor " + replicas + ", the catalog says "
                        + topic.replicationFactor());
            }
            Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic.name()));
            topic.configs().forEach((name, wanted) -> {
                ConfigEntry entry = config.get(name);
                String actual = entry == null ? null : entry.value();
                boolean ok = name.equals(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG)
                        ? actual != null && Integer.parseInt(actual) >= Integer.parseInt(wanted)
                        : wanted.equals(actual);
                if (!ok) {
                    problems.add(topic.name() + ": " + name + " is " + actual + ", the catalog says " + wanted);
                }
            });
        }
        return problems;
    }
}
