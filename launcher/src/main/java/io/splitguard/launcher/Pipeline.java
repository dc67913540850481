package io.splitguard.launcher;

import io.splitguard.checkpoint.app.CheckpointMain;
import io.splitguard.checkpoint.app.CheckpointQueries;
import io.splitguard.checkpoint.app.CheckpointStreams;
import io.splitguard.checkpoint.config.CheckpointConfig;
import io.splitguard.gateway.app.GatewayServer;
import io.splitguard.gateway.security.DevTokens;
import io.splitguard.health.ManagementServer;
import io.splitguard.schemas.config.CommonSettings;
import io.splitguard.schemas.config.Settings;
import io.splitguard.sink.PostgresSink;
import io.splitguard.sink.config.SinkConfig;
import io.splitguard.topology.app.DedupStreams;
import io.splitguard.topology.config.DedupConfig;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's services in one JVM, against a Kafka cluster and a PostgreSQL that already run:
 * the Postgres sink, the dedup topology, the checkpoint topology and the gateway. Started in data-flow order from the end
 * (sink first), stopped in reverse, so nothing produced is left without a reader.
 */
public final class Pipeline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

    private final PipelineSettings settings;
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private PostgresSink sink;
    private DedupStreams streams;
    private CheckpointStreams checkpoints;
    private String checkpointQueryUrl;
    private GatewayServer gateway;

    private Pipeline(PipelineSettings settings) {
        this.settings = settings;
    }

    public static Pipeline start(PipelineSettings settings) {
        Pipeline pipeline = new Pipeline(settings);
        try {
            pipeline.startSink();
            pipeline.startTopology();
            pipeline.startCheckpointTopology();
            pipeline.startGateway();
            return pipeline;
        } catch (RuntimeException e) {
            pipeline.close();
            throw e;
        }
    }

    private void startSink() {
        Map<String, String> env = new HashMap<>(settings.env());
        env.put(SinkConfig.ENV_BOOTSTRAP_SERVERS, settings.bootstrapServers());
        env.put(SinkConfig.ENV_DATABASE_URL, settings.jdbcUrl());
        env.put(SinkConfig.ENV_DATABASE_USER, settings.dbUser());
        env.put(SinkConfig.ENV_DATABASE_PASSWORD, settings.dbPassword());
        env.put(SinkConfig.ENV_GROUP_ID, settings.sinkGroupId());
        sink = new PostgresSink(SinkConfig.fromMap(env), settings.topics());
        started.push(sink);
        sink.start();
    }

    private void startTopology() {
        DedupConfig config = dedupConfig(settings);
        streams = DedupStreams.start(config, settings.topics());
        started.push(streams);
    }

    /**
     * The topology's configuration: the environment the launcher was given (so {@code
     * SPLITGUARD_STREAM_THREADS}, {@code SPLITGUARD_STANDBY_REPLICAS}, {@code SPLITGUARD_STREAMS_*} and
     * the rest apply as in a topology process of its own), with the addresses the launcher decided.
     */
    static DedupConfig dedupConfig(PipelineSettings settings) {
        Map<String, String> env = new HashMap<>(settings.env());
        env.put(CommonSettings.BOOTSTRAP_SERVERS, settings.bootstrapServers());
        env.put(CommonSettings.DEDUP_WINDOW, settings.topics().dedupWindow().toString());
        env.put(DedupConfig.STATE_DIR, settings.stateDir().toString());
        if (settings.dedupApplicationId() != null) {
            env.put(DedupConfig.APPLICATION_ID, settings.dedupApplicationId());
        }
        if (settings.commitInterval() != null) {
            env.put(
                    DedupConfig.COMMIT_INTERVAL_MS,
                    Long.toString(settings.commitInterval().toMillis()));
        }
        return DedupConfig.fromEnv(env, settings.topics().deadLetters.name());
    }

    /**
     * The checkpoint topology, one instance: its management port (any free one) serves the interactive
     * queries the gateway's checkpoint reads ask. One instance owns every partition, so it has no
     * {@code application.server} and never forwards.
     */
    private void startCheckpointTopology() {
        Map<String, String> env = checkpointEnv(settings);
        CheckpointConfig config =
                CheckpointConfig.fromEnv(env, settings.topics().deadLetters.name());
        checkpoints = CheckpointStreams.start(config, settings.topics());
        started.push(checkpoints);
        CheckpointQueries queries = CheckpointMain.queries(
                checkpoints, config, settings.topics(), Settings.parse(CheckpointConfig.DEFINITION, env));
        started.push(queries);
        ManagementServer management = CheckpointMain.serve(checkpoints, 0, queries);
        started.push(management);
        checkpointQueryUrl = "http://127.0.0.1:" + management.port();
    }

    /** The checkpoint topology's settings: the launcher's environment with the addresses it decided. */
    static Map<String, String> checkpointEnv(PipelineSettings settings) {
        Map<String, String> env = new HashMap<>(settings.env());
        env.put(CommonSettings.BOOTSTRAP_SERVERS, settings.bootstrapServers());
        env.put(CheckpointConfig.STATE_DIR, settings.stateDir().toString());
        env.put(CheckpointConfig.APPLICATION_SERVER, "");
        if (settings.dedupApplicationId() != null) {
            env.put(CheckpointConfig.APPLICATION_ID, settings.dedupApplicationId() + "-checkpoint");
        }
        if (settings.commitInterval() != null) {
            env.put(
                    CheckpointConfig.COMMIT_INTERVAL_MS,
                    Long.toString(settings.commitInterval().toMillis()));
        }
        return env;
    }

    private void startGateway() {
        Map<String, Object> props = gatewayProperties(settings);
        props.put(CHECKPOINT_QUERY_URL, checkpointQueryUrl);
        gateway = GatewayServer.start(props);
        started.push(gateway);
    }

    /** The gateway property naming the checkpoint topology's query URL ({@link #checkpointQueryUrl()}). */
    public static final String CHECKPOINT_QUERY_URL = "splitguard.gateway.checkpoint.query-url";

    /** Where the checkpoint topology answers interactive queries; further gateways need it for checkpoint reads. */
    public String checkpointQueryUrl() {
        return checkpointQueryUrl;
    }

    public boolean checkpointTopologyRunning() {
        return checkpoints.isRunning();
    }

    /** The gateway's configuration for these settings; more instances may be started with it. */
    public static Map<String, Object> gatewayProperties(PipelineSettings settings) {
        Map<String, Object> props = new HashMap<>();
        props.put("micronaut.server.port", settings.httpPort() > 0 ? settings.httpPort() : -1);
        props.put("micronaut.server.host", "127.0.0.1");
        props.put("splitguard.kafka.bootstrap-servers", settings.bootstrapServers());
        // the common settings, by the names every service reads (SPLITGUARD_TOPIC_PREFIX, ...)
        props.put("splitguard.topic.prefix", settings.topics().prefix());
        props.put("splitguard.session.partitions", settings.topics().sessionPartitions());
        props.put("splitguard.replication.factor", settings.topics().replicationFactor());
        props.put("splitguard.min.insync.replicas", settings.topics().minInSyncReplicas());
        props.put("splitguard.dedup.window", settings.topics().dedupWindow().toString());
        // the local launcher runs what its broker(s) allow; services started on their own must not
        props.put("splitguard.allow.reduced.durability", true);
        props.put("micronaut.security.token.jwt.signatures.secret.generator.secret", settings.jwtSecret());
        // GET /api/v2/idempotency/{key} past the gateway's memory: the sink's idempotency_store
        props.put("splitguard.idempotency.lookup.jdbc-url", settings.jdbcUrl());
        if (settings.dbUser() != null) {
            props.put("splitguard.idempotency.lookup.user", settings.dbUser());
        }
        if (settings.dbPassword() != null) {
            props.put("splitguard.idempotency.lookup.password", settings.dbPassword());
        }
        return props;
    }

    public String gatewayUrl() {
        return gateway.url().toString().replaceAll("/$", "");
    }

    public boolean topologyRunning() {
        return streams.isRunning();
    }

    /** A token for the default tenant with the given scopes, signed with the pipeline's secret. */
    public String token(Duration ttl, String... scopes) {
        return DevTokens.mint(settings.jwtSecret(), "default", List.of(scopes), ttl);
    }

    public PipelineSettings settings() {
        return settings;
    }

    @Override
    public void close() {
        while (!started.isEmpty()) {
            AutoCloseable service = started.pop();
            try {
                service.close();
            } catch (Exception e) {
                LOG.warn("error while stopping {}", service.getClass().getSimpleName(), e);
            }
        }
    }
}
