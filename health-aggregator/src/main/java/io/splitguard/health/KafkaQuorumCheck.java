package io.splitguard.health;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.DescribeMetadataQuorumOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * {@code kafka_quorum}: whether the Kafka cluster can take our writes, as a Kafka admin sees it.
 *
 * <ul>
 *   <li>brokers reachable ({@code describeCluster}): none → unhealthy;
 *   <li>the KRaft metadata quorum ({@code describeMetadataQuorum}): its leader, voters and the largest
 *       voter lag behind the leader's log end; no leader → unhealthy;
 *   <li>our topics ({@code describeTopics} and each topic's {@code min.insync.replicas}): a partition
 *       with no leader is offline, one whose in-sync replicas are fewer than the topic's
 *       {@code min.insync.replicas} refuses {@code acks=all} writes; either → unhealthy, with the
 *       partitions named. A topic that does not exist is unhealthy too.
 * </ul>
 * Each admin call is bounded by the check timeout. Works on a single combined-mode broker as well.
 */
public final class KafkaQuorumCheck implements ComponentCheck, AutoCloseable {

    private static final int LISTED = 10;

    private final Admin admin;
    private final boolean ownsAdmin;
    private final Supplier<? extends Collection<String>> topics;
    private final int callTimeoutMs;

    /**
     * @param admin the admin client to ask (not closed by {@link #close()})
     * @param topics the topics this service reads or writes
     * @param callTimeout bound of each admin call
     */
    public KafkaQuorumCheck(Admin admin, Supplier<? extends Collection<String>> topics, Duration callTimeout) {
        this(admin, false, topics, callTimeout);
    }

    private KafkaQuorumCheck(
            Admin admin, boolean ownsAdmin, Supplier<? extends Collection<String>> topics, Duration callTimeout) {
        this.admin = Objects.requireNonNull(admin, "admin");
        this.ownsAdmin = ownsAdmin;
        this.topics = Objects.requireNonNull(topics, "topics");
        this.callTimeoutMs = (int) Math.max(1, callTimeout.toMillis());
    }

    /**
     * A check with an admin client of its own on {@code bootstrapServers} (plus {@code clientProperties},
     * e.g. security settings), closed by {@link #close()}.
     */
    public static KafkaQuorumCheck create(
            String bootstrapServers, Map<String, ?> clientProperties, Collection<String> topics, Duration callTimeout) {
        Map<String, Object> props = adminProperties(bootstrapServers, clientProperties, callTimeout);
        List<String> names = List.copyOf(topics);
        return new KafkaQuorumCheck(Admin.create(props), true, () -> names, callTimeout);
    }

    /**
     * The check's own admin client settings: {@code clientProperties} (security), the bootstrap servers,
     * and timeouts that fit inside one run of the check.
     */
    static Map<String, Object> adminProperties(
            String bootstrapServers, Map<String, ?> clientProperties, Duration callTimeout) {
        Map<String, Object> props = new LinkedHashMap<>(clientProperties);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "splitguard-health");
        int ms = (int) Math.max(1, callTimeout.toMillis());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
        // A broker cut off the network holds a request until its timeout and a new connection to it until
        // the connection set-up timeout (10 s by default): with both well inside the check's bound, a call
        // that went to the cut broker is retried on another one in time, and the cluster that still takes
        // writes with one broker gone is reported healthy instead of timing out for the whole cut.
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.max(1, ms / 3));
        props.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, Math.max(1, ms / 4));
        props.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, Math.max(1, ms / 4));
        props.putIfAbsent(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 50);
        return props;
    }

    @Override
    public ComponentHealth check() throws Exception {
        Map<String, Object> details = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        List<String> names = List.copyOf(new TreeSet<>(topics.get()));

        // every question at once, each answer awaited against one deadline inside the run's bound, so a
        // slow part is named ("... did not answer") instead of the whole run timing out unexplained
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(1, callTimeoutMs * 3L / 4));
        KafkaFuture<Collection<Node>> nodesAsked = admin.describeCluster(
                        new DescribeClusterOptions().timeoutMs(callTimeoutMs))
                .nodes();
        KafkaFuture<QuorumInfo> quorumAsked = admin.describeMetadataQuorum(
                        new DescribeMetadataQuorumOptions().timeoutMs(callTimeoutMs))
                .quorumInfo();
        Map<String, KafkaFuture<TopicDescription>> topicsAsked = names.isEmpty()
                ? Map.of()
                : admin.describeTopics(names, new DescribeTopicsOptions().timeoutMs(callTimeoutMs))
                        .topicNameValues();
        Map<ConfigResource, KafkaFuture<Config>> configsAsked = names.isEmpty()
                ? Map.of()
                : admin.describeConfigs(
                                names.stream()
                                        .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n))
                                        .toList(),
                                new DescribeConfigsOptions().timeoutMs(callTimeoutMs))
                        .values();

        Collection<Node> nodes = answer(nodesAsked, deadline, "the cluster (describeCluster)", problems);
        if (nodes != null) {
            details.put("brokers", nodes.size());
            if (nodes.isEmpty()) {
                problems.add("no broker reachable");
            }
        }

        QuorumInfo quorum = answer(quorumAsked, deadline, "the metadata quorum (describeMetadataQuorum)", problems);
        if (quorum != null) {
            details.put("quorum_leader", quorum.leaderId());
            details.put("quorum_epoch", quorum.leaderEpoch());
            details.put("quorum_voters", quorum.voters().size());
            long leaderEnd = quorum.voters().stream()
                    .filter(v -> v.replicaId() == quorum.leaderId())
                    .mapToLong(QuorumInfo.ReplicaState::logEndOffset)
                    .findFirst()
                    .orElse(quorum.highWatermark());
            long maxLag = quorum.voters().stream()
                    .mapToLong(v -> Math.max(0, leaderEnd - v.logEndOffset()))
                    .max()
                    .orElse(0);
            details.put("quorum_max_voter_lag", maxLag);
            if (quorum.leaderId() < 0) {
                problems.add("metadata quorum has no leader");
            }
        }

        int partitions = 0;
        List<String> underMinIsr = new ArrayList<>();
        List<String> offline = new ArrayList<>();
        int smallestMinIsr = Integer.MAX_VALUE;
        for (String name : names) {
            TopicDescription topic = answer(
                    topicsAsked.get(name),
                    deadline,
                    "topic " + name + " (describeTopics)",
                    cause -> cause instanceof UnknownTopicOrPartitionException
                            ? "topic missing: " + name
                            : "topic " + name + " (describeTopics) failed: " + cause,
                    problems);
            if (topic == null) {
                continue;
            }
            Config config = answer(
                    configsAsked.get(new ConfigResource(ConfigResource.Type.TOPIC, name)),
                    deadline,
                    "topic " + name + "'s configuration (describeConfigs)",
                    problems);
            if (config == null) {
                continue;
            }
            ConfigEntry entry = config.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
            int minIsr = entry == null || entry.value() == null ? 1 : Integer.parseInt(entry.value());
            smallestMinIsr = Math.min(smallestMinIsr, minIsr);
            for (TopicPartitionInfo p : topic.partitions()) {
                partitions++;
                String id = topic.name() + "-" + p.partition();
                if (p.leader() == null || p.leader().isEmpty()) {
                    offline.add(id);
                } else if (p.isr().size() < minIsr) {
                    underMinIsr.add(id);
                }
            }
        }
        details.put("topics", names.size());
        details.put("partitions", partitions);
        if (smallestMinIsr != Integer.MAX_VALUE) {
            details.put("min_insync_replicas", smallestMinIsr);
        }
        details.put("under_min_isr_partitions", underMinIsr.size());
        details.put("offline_partitions", offline.size());
        if (!underMinIsr.isEmpty()) {
            details.put("under_min_isr", underMinIsr.subList(0, Math.min(LISTED, underMinIsr.size())));
            problems.add(underMinIsr.size() + " partition(s) under min.insync.replicas");
        }
        if (!offline.isEmpty()) {
            details.put("offline", offline.subList(0, Math.min(LISTED, offline.size())));
            problems.add(offline.size() + " partition(s) offline");
        }
        if (problems.isEmpty()) {
            return ComponentHealth.healthy(details);
        }
        details.put("error", String.join("; ", problems));
        return ComponentHealth.unhealthy(details);
    }

    /** The answer, or null with the problem noted when it failed or did not come before the deadline. */
    private static <T> T answer(KafkaFuture<T> asked, long deadline, String what, List<String> problems)
            throws InterruptedException {
        return answer(asked, deadline, what, cause -> what + " failed: " + cause, problems);
    }

    /** As above, with the failure described by {@code failed} from the call's cause. */
    private static <T> T answer(
            KafkaFuture<T> asked, long deadline, String what, Function<Throwable, String> failed, List<String> problems)
            throws InterruptedException {
        try {
            return asked.get(remainingNanos(deadline), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            problems.add(failed.apply(e.getCause()));
        } catch (TimeoutException e) {
            problems.add(what + " did not answer in time");
        }
        return null;
    }

    private static long remainingNanos(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    @Override
    public void close() {
        if (ownsAdmin) {
            admin.close(Duration.ofSeconds(5));
        }
    }
}
