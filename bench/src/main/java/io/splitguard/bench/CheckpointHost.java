package io.splitguard.bench;

import io.splitguard.checkpoint.app.CheckpointMain;
import io.splitguard.checkpoint.app.CheckpointQueries;
import io.splitguard.checkpoint.app.CheckpointStreams;
import io.splitguard.checkpoint.config.CheckpointConfig;
import io.splitguard.checkpoint.processor.CheckpointNodes;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.gateway.security.DevTokens;
import io.splitguard.health.ManagementServer;
import io.splitguard.infra.EmbeddedKafka;
import io.splitguard.infra.LocalPostgres;
import io.splitguard.launcher.Pipeline;
import io.splitguard.launcher.PipelineSettings;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.config.Settings;
import io.splitguard.schemas.topics.TopicBootstrap;
import io.splitguard.schemas.topics.TopicCatalog;
import io.splitguard.sink.PostgresSink;
import io.splitguard.sink.config.SinkConfig;
import io.splitguard.topology.app.DedupStreams;
import io.splitguard.topology.config.DedupConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;

/**
 * The pipeline of the checkpoint benchmark in one JVM: the same services as the launcher's {@code
 * LocalPipeline} (embedded broker, throwaway PostgreSQL, topics, Postgres sink, dedup topology, checkpoint
 * topology, gateway), assembled here because the launcher runs its checkpoint topology as a lone instance
 * without {@code application.server}, which cannot share its partitions with a second instance. Here
 * instance "a" has an {@code application.server} (its management port), the gateway asks it, and a
 * second instance "b" of the same application id can join and leave on command, so the benchmark can
 * force rebalances with reads answered correctly throughout.
 *
 * <p>Line protocol on stdin/stdout, like {@link PipelineHost}: {@code BENCH key=value} lines and {@code
 * BENCH ready} at start; commands {@code join}, {@code leave}, {@code tasks}, {@code heap}, {@code
 * store}, {@code jfr-start <file>}, {@code jfr-stop}, {@code quit}.
 */
public final class CheckpointHost {

    static final String APPLICATION_ID = "splitguard-dedup-checkpoint";

    /** One checkpoint-topology instance: streams, its interactive queries and the port serving them. */
    private record Instance(
            String name, CheckpointStreams streams, CheckpointQueries queries, ManagementServer server, Path stateDir)
            implements AutoCloseable {

        @Override
        public void close() {
            streams.close();
            server.close();
            queries.close();
        }
    }

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final Map<String, String> env;
    private final Path dataDir;
    private String bootstrap;
    private TopicCatalog topics;
    private Instance a;
    private Instance b;
    private Recording recording;

    private CheckpointHost(Map<String, String> env) {
        this.env = env;
        this.dataDir =
                Path.of(env.getOrDefault("SPLITGUARD_DATA_DIR", "local-data")).toAbsolutePath();
    }

    public static void main(String[] args) throws Exception {
        CheckpointHost host = new CheckpointHost(new HashMap<>(System.getenv()));
        try {
            host.startAll();
            host.serve();
        } finally {
            host.close();
            System.out.println("BENCH stopped");
            System.out.flush();
        }
    }

    private void startAll() {
        EmbeddedKafka kafka = EmbeddedKafka.start(dataDir.resolve("kafka"), 0);
        started.push(kafka);
        bootstrap = kafka.bootstrapServers();
        LocalPostgres postgres = LocalPostgres.start(dataDir.resolve("postgres"), true);
        started.push(postgres);
        String jdbc = postgres.createDatabase("splitguard");
        topics = TopicCatalog.fromEnv(env);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicBootstrap.ensure(admin, topics, 60_000);
        }
        byte[] secretBytes = new byte[48];
        new SecureRandom().nextBytes(secretBytes);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
        PipelineSettings settings = new PipelineSettings(
                bootstrap,
                jdbc,
                postgres.user(),
                postgres.password(),
                topics,
                dataDir.resolve("streams"),
                0,
                secret,
                "splitguard-dedup",
                "splitguard-postgres-sink",
                Duration.ofMillis(100),
                env);

        // data-flow order from the end, like the launcher: sink, dedup topology, checkpoint topology, gateway
        Map<String, String> sinkEnv = new HashMap<>(env);
        sinkEnv.put(SinkConfig.ENV_BOOTSTRAP_SERVERS, bootstrap);
        sinkEnv.put(SinkConfig.ENV_DATABASE_URL, jdbc);
        sinkEnv.put(SinkConfig.ENV_DATABASE_USER, postgres.user());
        sinkEnv.put(SinkConfig.ENV_DATABASE_PASSWORD, postgres.password() == null ? "" : postgres.password());
        sinkEnv.put(SinkConfig.ENV_GROUP_ID, settings.sinkGroupId());
        PostgresSink sink = new PostgresSink(SinkConfig.fromMap(sinkEnv), topics);
        started.push(sink);
        sink.start();

        Map<String, String> dedupEnv = new HashMap<>(env);
        dedupEnv.put(CommonSettings.BOOTSTRAP_SERVERS, bootstrap);
        dedupEnv.put(CommonSettings.DEDUP_WINDOW, topics.dedupWindow().toString());
        dedupEnv.put(DedupConfig.STATE_DIR, dataDir.resolve("streams").toString());
        dedupEnv.put(DedupConfig.APPLICATION_ID, settings.dedupApplicationId());
        dedupEnv.put(DedupConfig.COMMIT_INTERVAL_MS, "100");
        dedupEnv.remove(DedupConfig.STANDBY_REPLICAS);
        started.push(DedupStreams.start(DedupConfig.fromEnv(dedupEnv, topics.deadLetters.name()), topics));

        a = startInstance("a");
        started.push(a);

        Map<String, Object> props = Pipeline.gatewayProperties(settings);
        props.put(Pipeline.CHECKPOINT_QUERY_URL, queryUrl(a));
        // one bench token is one client: its budget must not cap the read rate measured
        props.put("splitguard.gateway.rate-limit.limit-for-period", 100_000_000);
        GatewayServer gateway = GatewayServer.start(props);
        started.push(gateway);

        System.out.println("BENCH gateway=" + gateway.url().toString().replaceAll("/$", ""));
        System.out.println("BENCH token="
                + DevTokens.mint(secret, "default", List.of("session:write", "session:read"), Duration.ofHours(12)));
        System.out.println("BENCH jdbc=" + jdbc);
        System.out.println("BENCH dbuser=" + postgres.user());
        System.out.println("BENCH dbpassword=" + (postgres.password() == null ? "" : postgres.password()));
        System.out.println("BENCH bootstrap=" + bootstrap);
        System.out.println("BENCH query=" + queryUrl(a));
        System.out.println("BENCH checkpoints_in=" + topics.checkpointsIn.name());
        System.out.println("BENCH application_id=" + APPLICATION_ID);
        System.out.println("BENCH standby=" + env.getOrDefault(CheckpointConfig.STANDBY_REPLICAS, "0"));
        System.out.println("BENCH ready");
        System.out.flush();
    }

    /** A checkpoint-topology instance with its own state directory and an application.server on a free port. */
    private Instance startInstance(String name) {
        int port = freePort();
        Path stateDir = dataDir.resolve("checkpoint-" + name);
        Map<String, String> cenv = new HashMap<>(env);
        cenv.put(CommonSettings.BOOTSTRAP_SERVERS, bootstrap);
        cenv.put(CheckpointConfig.STATE_DIR, stateDir.toString());
        cenv.put(CheckpointConfig.APPLICATION_SERVER, "127.0.0.1:" + port);
        cenv.put(CheckpointConfig.APPLICATION_ID, APPLICATION_ID);
        cenv.put(CheckpointConfig.COMMIT_INTERVAL_MS, "100");
        CheckpointConfig config = CheckpointConfig.fromEnv(cenv, topics.deadLetters.name());
        CheckpointStreams streams = CheckpointStreams.start(config, topics);
        CheckpointQueries queries =
                CheckpointMain.queries(streams, config, topics, Settings.parse(CheckpointConfig.DEFINITION, cenv));
        ManagementServer server = CheckpointMain.serve(streams, port, queries);
        return new Instance(name, streams, queries, server, stateDir);
    }

    private static String queryUrl(Instance instance) {
        return "http://127.0.0.1:" + instance.server().port();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void serve() throws IOException, ParseException {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String command = line.trim();
                if (command.equals("quit")) {
                    return;
                }
                System.out.println(answer(command));
                System.out.flush();
            }
        }
    }

    private String answer(String command) throws IOException, ParseException {
        if (command.equals("join")) {
            if (b != null) {
                return "ERR b is running";
            }
            long t0 = System.nanoTime();
            b = startInstance("b");
            return "JOINED started_ms=" + (System.nanoTime() - t0) / 1_000_000;
        }
        if (command.equals("leave")) {
            if (b == null) {
                return "ERR b is not running";
            }
            long t0 = System.nanoTime();
            b.close();
            b = null;
            return "LEFT closed_ms=" + (System.nanoTime() - t0) / 1_000_000;
        }
        if (command.equals("tasks")) {
            StringBuilder sb = new StringBuilder("TASKS");
            for (Instance i : instances()) {
                int active = 0;
                int standby = 0;
                for (ThreadMetadata t : i.streams().kafkaStreams().metadataForLocalThreads()) {
                    active += t.activeTasks().size();
                    standby += t.standbyTasks().size();
                }
                sb.append(' ')
                        .append(i.name())
                        .append('=')
                        .append(i.streams().state())
                        .append(':')
                        .append(active)
                        .append('/')
                        .append(standby);
            }
            return sb.toString();
        }
        if (command.equals("heap")) {
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            return "HEAP used="
                    + ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        }
        if (command.equals("store")) {
            return "STORE " + storeFigures();
        }
        if (command.startsWith("jfr-start ")) {
            recording = new Recording(Configuration.getConfiguration("profile"));
            recording.setDestination(
                    Path.of(command.substring("jfr-start ".length()).trim()));
            recording.start();
            return "JFR started";
        }
        if (command.equals("jfr-stop")) {
            if (recording == null) {
                return "ERR no recording";
            }
            recording.stop();
            recording.close();
            recording = null;
            return "JFR stopped";
        }
        return "ERR unknown command " + command;
    }

    private List<Instance> instances() {
        return b == null ? List.of(a) : List.of(a, b);
    }

    /**
     * RocksDB figures of the latest-checkpoints store summed over its tasks on every running instance
     * (Kafka Streams' RocksDB property metrics), and the bytes of its files on disk.
     */
    private String storeFigures() throws IOException {
        Map<String, Double> sums = new LinkedHashMap<>();
        for (String m : List.of(
                "estimate-num-keys",
                "live-sst-files-size",
                "total-sst-files-size",
                "size-all-mem-tables",
                "estimate-table-readers-mem",
                "block-cache-usage")) {
            sums.put(m, 0.0);
        }
        for (Instance i : instances()) {
            KafkaStreams streams = i.streams().kafkaStreams();
            for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
                MetricName name = e.getKey();
                if (sums.containsKey(name.name())
                        && name.tags().containsValue(CheckpointNodes.LATEST_STORE)
                        && e.getValue().metricValue() instanceof Number n) {
                    sums.merge(name.name(), n.doubleValue(), Double::sum);
                }
            }
        }
        long disk = 0;
        long files = 0;
        for (Instance i : instances()) {
            if (!Files.isDirectory(i.stateDir())) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(i.stateDir())) {
                for (Path p : (Iterable<Path>) walk::iterator) {
                    if (Files.isRegularFile(p) && p.toString().contains("/" + CheckpointNodes.LATEST_STORE + "/")) {
                        disk += Files.size(p);
                        files++;
                    }
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        sums.forEach((k, v) -> sb.append(k).append('=').append(v.longValue()).append(' '));
        sb.append("disk-bytes=").append(disk).append(" disk-files=").append(files);
        sb.append(" changelog-bytes=").append(changelogBytes());
        return sb.toString();
    }

    /** Bytes of the store's changelog partitions in the broker's log directories (-1 if unknown). */
    private long changelogBytes() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            List<Integer> brokers = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).stream()
                    .map(Node::id)
                    .toList();
            long bytes = 0;
            for (Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers)
                    .allDescriptions()
                    .get(30, TimeUnit.SECONDS)
                    .values()) {
                for (LogDirDescription dir : dirs.values()) {
                    for (Map.Entry<TopicPartition, ReplicaInfo> e :
                            dir.replicaInfos().entrySet()) {
                        if (e.getKey()
                                .topic()
                                .equals(APPLICATION_ID + "-" + CheckpointNodes.LATEST_STORE + "-changelog")) {
                            bytes += e.getValue().size();
                        }
                    }
                }
            }
            return bytes;
        } catch (ExecutionException | TimeoutException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private void close() {
        if (b != null) {
            b.close();
            b = null;
        }
        while (!started.isEmpty()) {
            AutoCloseable part = started.pop();
            try {
                part.close();
            } catch (Exception e) {
                System.err.println("error while stopping " + part.getClass().getSimpleName() + ": " + e);
            }
        }
    }
}
