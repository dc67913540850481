package io.splitguard.chaos.cluster;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three combined broker+controller Kafka nodes, each its own JVM ({@code kafka.Kafka}) in its own
 * network namespace {@code sg-b<i>} at 10.77.0.1<i>, so a test can crash, freeze or cut off one node
 * while the other two keep a quorum.
 *
 * <p>Settings are those of a small production cluster (RF 3, {@code min.insync.replicas=2}, no
 * unclean election, no topic auto-creation, one rack per node) with failure detection shortened to
 * seconds: a dead or frozen broker is fenced after {@code broker.session.timeout.ms=6000} and drops
 * out of the ISR after at most {@code replica.lag.time.max.ms=8000}.
 *
 * <p>Layout under the work directory: {@code b<i>/server.properties}, {@code b<i>/data} (kept
 * across {@link #kill}/{@link #restart}), {@code b<i>/broker.log} (WARN and above, plus the JVM's
 * own output, appended across restarts), {@code cluster-id}, {@code logback-broker.xml}.
 */
public final class BrokerCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerCluster.class);

    public static final int SIZE = 3;
    public static final int BROKER_PORT = 9092;
    public static final int CONTROLLER_PORT = 9093;
    /**
     * How long a (re)started node gets to serve: a restart after SIGKILL recovers every log segment and
     * catches up with the metadata log, which took over 90 s on the 2-core machine shared with other builds
     * (load average above 20) once the checkpoint topology's two instances and topics were added.
     */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration ADMIN_CALL_TIMEOUT = Duration.ofSeconds(5);
    private static final Set<Integer> ALL = Set.of(1, 2, 3);

    private final Path workDir;
    private final Netns netns;
    private final List<NodeProcess> nodes;
    private final Admin admin;
    private boolean closed;

    private BrokerCluster(Path workDir, Netns netns, List<NodeProcess> nodes) {
        this.workDir = workDir;
        this.netns = netns;
        this.nodes = nodes;
        this.admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServersOf(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                (int) ADMIN_CALL_TIMEOUT.toMillis(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                (int) ADMIN_CALL_TIMEOUT.toMillis(),
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG,
                1000,
                AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG,
                1000));
    }

    /**
     * Adds namespaces {@code sg-b1..3} to {@code netns}, formats the nodes' storage (unless already
     * formatted), starts the three JVMs and waits up to 90 s for a metadata quorum with all three
     * brokers registered and unfenced. On failure everything started is stopped again.
     */
    public static BrokerCluster start(Path workDir, Netns netns) {
        long begin = System.nanoTime();
        List<NodeProcess> nodes = new ArrayList<>();
        BrokerCluster cluster = null;
        try {
            Files.createDirectories(workDir);
            Path logback = writeLogbackConfig(workDir);
            String clusterId = clusterId(workDir);
            for (int i = 1; i <= SIZE; i++) {
                netns.addNode(nodeName(i), 10 + i);
                Path dir = workDir.resolve(nodeName(i));
                Path data = dir.resolve("data");
                Files.createDirectories(data);
                Properties props = nodeProperties(i, data);
                Path propsFile = dir.resolve("server.properties");
                try (Writer w = Files.newBufferedWriter(propsFile, StandardCharsets.UTF_8)) {
                    props.store(w, "SplitGuard chaos harness, node " + i);
                }
                format(i, clusterId, data);
                nodes.add(new NodeProcess(
                        nodeName(i),
                        netns.execPrefix(nodeName(i)),
                        List.of(
                                "-Xmx512m",
                                "-XX:+ExitOnOutOfMemoryError",
                                "-Djava.awt.headless=true",
                                "-Djava.net.preferIPv4Stack=true",
                                "-Dlogback.configurationFile=" + logback.toAbsolutePath()),
                        "kafka.Kafka",
                        List.of(propsFile.toAbsolutePath().toString()),
                        Map.of(),
                        dir.resolve("broker.log")));
            }
            nodes.forEach(NodeProcess::start);
            cluster = new BrokerCluster(workDir, netns, nodes);
            cluster.awaitQuorumAndBrokers(START_TIMEOUT);
            LOG.info(
                    "Kafka cluster {} up in {} ms at {}",
                    clusterId,
                    Duration.ofNanos(System.nanoTime() - begin).toMillis(),
                    cluster.bootstrapServers());
            return cluster;
        } catch (IOException e) {
            abort(cluster, nodes, netns);
            throw new UncheckedIOException("cannot prepare the Kafka cluster in " + workDir, e);
        } catch (RuntimeException e) {
            abort(cluster, nodes, netns);
            throw e;
        }
    }

    private static void abort(BrokerCluster cluster, List<NodeProcess> nodes, Netns netns) {
        if (cluster != null) {
            cluster.close();
            return;
        }
        nodes.forEach(NodeProcess::requestStop);
        nodes.forEach(n -> n.awaitStopped(STOP_TIMEOUT));
        netns.destroy();
    }

    /** {@code 10.77.0.11:9092,10.77.0.12:9092,10.77.0.13:9092}: reachable from the root namespace. */
    public String bootstrapServers() {
        return bootstrapServersOf();
    }

    private static String bootstrapServersOf() {
        List<String> servers = new ArrayList<>();
        for (int i = 1; i <= SIZE; i++) {
            servers.add(address(i) + ":" + BROKER_PORT);
        }
        return String.join(",", servers);
    }

    public int size() {
        return SIZE;
    }

    /** The node's address on the harness bridge, e.g. {@code 10.77.0.12} for node 2. */
    public static String address(int node) {
        return Netns.SUBNET_PREFIX + (10 + node);
    }

    /** SIGKILL: the node's JVM dies without any shutdown work; its data directory stays. */
    public void kill(int node) {
        node(node).kill();
    }

    /**
     * Starts the node again on the same data directory and waits (180 s max) until the new process
     * serves requests and the cluster sees it registered and unfenced. Fails if the node still runs.
     */
    public void restart(int node) {
        NodeProcess process = node(node);
        process.restart();
        awaitRegistered(node, START_TIMEOUT);
    }

    /** SIGSTOP: the node freezes (no heartbeats, connections stay open) until {@link #resume}. */
    public void pause(int node) {
        node(node).pause();
    }

    public void resume(int node) {
        node(node).resume();
    }

    /**
     * The command prefix that runs a program inside node {@code node}'s network namespace: a process
     * started with it shares the node's network fate ({@link #isolate} cuts it off too).
     */
    public List<String> execPrefix(int node) {
        node(node);
        return netns.execPrefix(nodeName(node));
    }

    /** Cuts the node off the network (its veth goes down); the JVM keeps running. */
    public void isolate(int node) {
        node(node);
        netns.isolate(nodeName(node));
    }

    public void heal(int node) {
        node(node);
        netns.heal(nodeName(node));
    }

    public boolean isIsolated(int node) {
        node(node);
        return !netns.isConnected(nodeName(node));
    }

    /** Whether the node's JVM is alive (a paused or isolated node is running). */
    public boolean isRunning(int node) {
        return node(node).isAlive();
    }

    public boolean isPaused(int node) {
        return node(node).isPaused();
    }

    public long pid(int node) {
        return node(node).pid();
    }

    public Path log(int node) {
        return node(node).log();
    }

    public Path workDir() {
        return workDir;
    }

    /** Node id of the active controller (the Raft leader of the metadata quorum), -1 if there is none. */
    public int activeController() {
        try {
            return get(admin.describeMetadataQuorum().quorumInfo()).leaderId();
        } catch (KafkaException e) {
            LOG.debug("no metadata quorum answer: {}", e.getMessage());
            return -1;
        }
    }

    /** Node ids of the brokers registered and not fenced, as the cluster sees them now. */
    public Set<Integer> liveBrokers() {
        return get(admin.describeCluster(new DescribeClusterOptions().includeFencedBrokers(true))
                        .nodes())
                .stream()
                .filter(n -> !n.isFenced())
                .map(Node::id)
                .collect(Collectors.toUnmodifiableSet());
    }

    /** Waits until all three brokers are registered and unfenced. */
    public void awaitAllRegistered(Duration timeout) {
        await(
                timeout,
                "all brokers registered",
                ALL,
                () -> safely(() -> liveBrokers().size() == SIZE));
    }

    /**
     * Waits until every partition of every topic (internal ones included) has all its replicas in
     * sync, e.g. after {@link #heal} or {@link #resume} before the next fault, so that the next
     * fault does not take a partition below {@code min.insync.replicas}.
     */
    public void awaitFullyReplicated(Duration timeout) {
        await(timeout, "all partitions fully in sync", Set.of(), () -> safely(this::fullyReplicated));
    }

    private boolean fullyReplicated() {
        Set<String> topics =
                get(admin.listTopics(new ListTopicsOptions().listInternal(true)).names());
        if (topics.isEmpty()) {
            return true;
        }
        Map<String, TopicDescription> described =
                get(admin.describeTopics(topics).allTopicNames());
        return described.values().stream()
                .flatMap(t -> t.partitions().stream())
                .allMatch(p ->
                        p.leader() != null && p.isr().size() == p.replicas().size());
    }

    /**
     * Stops all nodes together (SIGTERM to all three, then waits; one by one would leave the last
     * node without a quorum and hang its shutdown), after healing and resuming any node a fault left
     * cut off or frozen. Then removes the network namespaces. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        admin.close(Duration.ofSeconds(2));
        for (int i = 1; i <= SIZE; i++) {
            try {
                netns.heal(nodeName(i));
            } catch (RuntimeException e) {
                LOG.warn("cannot heal node {} before stopping: {}", i, e.getMessage());
            }
        }
        long begin = System.nanoTime();
        nodes.forEach(NodeProcess::requestStop);
        for (NodeProcess node : nodes) {
            Duration left = STOP_TIMEOUT.minusNanos(System.nanoTime() - begin);
            node.awaitStopped(left.isNegative() ? Duration.ZERO : left);
        }
        LOG.info(
                "Kafka cluster stopped in {} ms",
                Duration.ofNanos(System.nanoTime() - begin).toMillis());
        netns.destroy();
    }

    private void awaitQuorumAndBrokers(Duration timeout) {
        await(timeout, "a metadata quorum", ALL, () -> activeController() >= 0);
        await(
                timeout,
                "three registered brokers",
                ALL,
                () -> safely(() -> get(admin.describeCluster().nodes()).size() == SIZE));
    }

    /**
     * The restarted node must first answer a request addressed to it (describing its own configs):
     * it serves only after catching up with the metadata log, which by then holds its new, fenced
     * registration. From then on "unfenced" in the cluster view means the new incarnation.
     */
    private void awaitRegistered(int node, Duration timeout) {
        ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(node));
        await(
                timeout,
                "node " + node + " serving",
                Set.of(node),
                () -> safely(() -> {
                    get(admin.describeConfigs(List.of(broker), new DescribeConfigsOptions().timeoutMs((int)
                                            ADMIN_CALL_TIMEOUT.toMillis()))
                            .all());
                    return true;
                }));
        await(
                timeout,
                "node " + node + " registered",
                Set.of(node),
                () -> safely(() -> liveBrokers().contains(node)));
    }

    /** Polls {@code condition}; fails early when one of {@code vital} has exited, as it will then never hold. */
    private void await(Duration timeout, String what, Set<Integer> vital, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            for (int i : vital) {
                NodeProcess process = node(i);
                if (process.exitValue().isPresent()) {
                    throw new IllegalStateException("node " + i + " exited with "
                            + process.exitValue().get() + " while waiting for " + what + "; see " + process.log());
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout + " waiting for " + what);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + what, e);
            }
        }
    }

    private interface Check {
        boolean check();
    }

    private static boolean safely(Check check) {
        try {
            return check.check();
        } catch (KafkaException e) {
            LOG.debug("cluster check failed: {}", e.getMessage());
            return false;
        }
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future) {
        try {
            return future.get(ADMIN_CALL_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new KafkaException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaException("admin call timed out", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted", e);
        }
    }

    private NodeProcess node(int node) {
        if (node < 1 || node > SIZE) {
            throw new IllegalArgumentException("node must be 1.." + SIZE + ": " + node);
        }
        return nodes.get(node - 1);
    }

    private static String nodeName(int node) {
        return "b" + node;
    }

    private static String voters() {
        List<String> voters = new ArrayList<>();
        for (int i = 1; i <= SIZE; i++) {
            voters.add(i + "@" + address(i) + ":" + CONTROLLER_PORT);
        }
        return String.join(",", voters);
    }

    static Properties nodeProperties(int node, Path data) {
        String host = address(node);
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(node));
        p.put("controller.quorum.voters", voters());
        p.put("listeners", "PLAINTEXT://" + host + ":" + BROKER_PORT + ",CONTROLLER://" + host + ":" + CONTROLLER_PORT);
        p.put("advertised.listeners", "PLAINTEXT://" + host + ":" + BROKER_PORT);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", data.toAbsolutePath().toString());
        p.put("metadata.log.dir", data.toAbsolutePath().toString());
        p.put("broker.rack", "region-" + node);
        // durability: what the product promises rests on these
        p.put("default.replication.factor", "3");
        p.put("min.insync.replicas", "2");
        p.put("unclean.leader.election.enable", "false");
        p.put("auto.create.topics.enable", "false");
        p.put("offsets.topic.replication.factor", "3");
        p.put("transaction.state.log.replication.factor", "3");
        p.put("transaction.state.log.min.isr", "2");
        p.put("share.coordinator.state.topic.replication.factor", "3");
        p.put("share.coordinator.state.topic.min.isr", "2");
        p.put("group.initial.rebalance.delay.ms", "0");
        // quick fault detection
        p.put("broker.session.timeout.ms", "6000");
        // A broker's channel to the active controller waits this long on a request before it looks for
        // another controller (30 s by default): with the active controller cut off, the brokers forwarded
        // admin questions (DescribeQuorum) into the cut for 30 s, so every region's health check failed for
        // longer than a region's cut lasts. Its heartbeats use the same channel.
        p.put("controller.socket.timeout.ms", "5000");
        // A producer that died inside a transaction blocks read_committed readers of its partitions until
        // the coordinator aborts it: check for expired transactions every second instead of every 10 s.
        p.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
        p.put("broker.heartbeat.interval.ms", "1000");
        p.put("replica.lag.time.max.ms", "8000");
        // small machine: fewer internal partitions and threads, a small cleaner buffer (heap is 512 MB)
        p.put("num.partitions", "1");
        p.put("offsets.topic.num.partitions", "12");
        p.put("transaction.state.log.num.partitions", "12");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("num.replica.fetchers", "1");
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(4 * 1024 * 1024));
        return p;
    }

    private static void format(int node, String clusterId, Path data) {
        if (Files.exists(data.resolve("meta.properties"))) {
            return;
        }
        try {
            new Formatter()
                    .setNodeId(node)
                    .setClusterId(clusterId)
                    .addDirectory(data.toAbsolutePath().toString())
                    .setMetadataLogDirectory(data.toAbsolutePath().toString())
                    .setControllerListenerName("CONTROLLER")
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8))
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format storage of node " + node + ": " + e.getMessage(), e);
        }
    }

    private static String clusterId(Path workDir) throws IOException {
        Path file = workDir.resolve("cluster-id");
        if (Files.exists(file)) {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        }
        String id = Uuid.randomUuid().toString();
        Files.writeString(file, id + "\n", StandardCharsets.UTF_8);
        return id;
    }

    private static Path writeLogbackConfig(Path workDir) throws IOException {
        Path file = workDir.resolve("logback-broker.xml");
        Files.writeString(
                file,
                """
                <configuration>
                  <!-- stdout goes to the node's log file (appended across restarts) -->
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
                  </appender>
                  <root level="WARN"><appender-ref ref="OUT"/></root>
                </configuration>
                """,
                StandardCharsets.UTF_8);
        return file;
    }
}
