package io.splitguard.coordinator.app;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.splitguard.coordinator.config.CoordinatorConfig;
import io.splitguard.health.ApplicationCheck;
import io.splitguard.health.Breakers;
import io.splitguard.health.CompositeHealth;
import io.splitguard.health.Health;
import io.splitguard.health.KafkaQuorumCheck;
import io.splitguard.health.ManagementServer;
import io.splitguard.health.PlatformConnectivityCheck;
import io.splitguard.health.RegionQuorumStreams;
import io.splitguard.health.RegionView;
import io.splitguard.health.RegionVoter;
import io.splitguard.health.StreamsFacts;
import io.splitguard.schemas.topics.Topic;
import io.splitguard.schemas.topics.TopicCatalog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One region's share of the region quorum, as a process: the quorum topology ({@link
 * RegionQuorumStreams}; one instance per region, Kafka runs its single task on one of them), this
 * region's {@link RegionView} of the region topics and its {@link RegionVoter}.
 *
 * <p>The region's vote is this process's composite health ({@code GET /health}):
 *
 * <ul>
 *   <li>{@code application}: the process is up;
 *   <li>{@code kafka_quorum}: the brokers, the controller quorum, and the session topics plus the two
 *       region topics (no partition offline or under min ISR), i.e. whether the region can still write
 *       sessions;
 *   <li>{@code region_services} (when {@code SPLITGUARD_COORDINATOR_SERVICE_PROBES} names any): the
 *       readiness of this region's own gateway and topologies, each through a circuit breaker.
 * </ul>
 *
 * The quorum topology's own state is not part of the vote (a coordinator that merely holds no task is
 * fine, and a broken quorum client says nothing about the region's data path); it decides {@code
 * /health/live} and {@code /health/ready} instead, so the orchestrator restarts a coordinator whose
 * Streams client died.
 */
public final class RegionCoordinator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RegionCoordinator.class);

    /** The component with the readiness of the region's own services. */
    public static final String REGION_SERVICES = "region_services";

    private final Deque<AutoCloseable> started;
    private final ManagementServer management;
    private final RegionView view;
    private final CompositeHealth health;

    private RegionCoordinator(
            Deque<AutoCloseable> started, ManagementServer management, RegionView view, CompositeHealth health) {
        this.started = started;
        this.management = management;
        this.view = view;
        this.health = health;
    }

    /** The topics whose partitions the region's vote watches: every session topic and the two region topics. */
    static List<String> watchedTopics(TopicCatalog topics) {
        List<String> names = new ArrayList<>();
        for (Topic<?, ?> topic : topics.sessionTopics()) {
            names.add(topic.name());
        }
        names.add(topics.regionHealth.name());
        names.add(topics.failoverDecisions.name());
        return List.copyOf(names);
    }

    /**
     * Starts the quorum topology, the health checks, the view, the voter and the management server, in
     * that order; on a failure what was started is closed again.
     */
    public static RegionCoordinator start(CoordinatorConfig config, TopicCatalog topics, Clock clock) {
        Deque<AutoCloseable> started = new ArrayDeque<>();
        try {
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            RegionQuorumStreams quorum = RegionQuorumStreams.start(
                    config.bootstrapServers(), topics, config.regions(), config.stateDir(), config.clientProperties());
            started.push(quorum);

            KafkaQuorumCheck kafka = KafkaQuorumCheck.create(
                    config.bootstrapServers(),
                    Map.copyOf(config.clientProperties()),
                    watchedTopics(topics),
                    config.health().timeout());
            CompositeHealth.Builder builder = CompositeHealth.builder()
                    .settings(config.health())
                    .clock(clock)
                    .meterRegistry(registry)
                    .component(CompositeHealth.APPLICATION, new ApplicationCheck(clock, () -> Health.up(Map.of())))
                    .component(CompositeHealth.KAFKA_QUORUM, kafka)
                    .closing(kafka);
            if (!config.serviceProbes().isEmpty()) {
                builder.component(REGION_SERVICES, serviceProbes(config, registry));
            }
            CompositeHealth health = builder.start();
            started.push(health);

            RegionView view = RegionView.start(
                    config.bootstrapServers(), config.clientProperties(), topics, config.regions(), clock);
            started.push(view);
            started.push(RegionVoter.create(
                            config.bootstrapServers(),
                            config.clientProperties(),
                            topics,
                            config.regions(),
                            health::report,
                            view,
                            clock)
                    .start());

            ManagementServer management = ManagementServer.start(
                    config.managementPort(),
                    registry,
                    Map.of("region_quorum_streams", () -> StreamsFacts.liveness(quorum.streams())),
                    Map.of("region_quorum_streams_running", () -> StreamsFacts.readiness(quorum.streams())),
                    health);
            LOG.info(
                    "region coordinator of {} (regions {}) serving on port {}",
                    config.regions().region(),
                    config.regions().regions(),
                    management.port());
            return new RegionCoordinator(started, management, view, health);
        } catch (IOException e) {
            closeAll(started);
            throw new UncheckedIOException("cannot serve the management port " + config.managementPort(), e);
        } catch (RuntimeException e) {
            closeAll(started);
            throw e;
        }
    }

    /** The region services' readiness probes, reusing the platform probe (any answer below 500 is reachable). */
    private static PlatformConnectivityCheck serviceProbes(CoordinatorConfig config, PrometheusMeterRegistry registry) {
        Map<String, CircuitBreaker> breakers = new LinkedHashMap<>();
        config.serviceProbes()
                .keySet()
                .forEach(name -> breakers.put(
                        name,
                        Breakers.create(
                                "region-service-" + name, config.health().breakerOpenWait(), registry)));
        HttpClient client = HttpClient.newBuilder()
                .connectTimeout(config.health().timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        return new PlatformConnectivityCheck(
                config.serviceProbes(), breakers, client, config.health().timeout());
    }

    /** The port {@code /health} and {@code /metrics} answer on. */
    public int port() {
        return management.port();
    }

    /** This region's view of the votes and the current decision. */
    public RegionView view() {
        return view;
    }

    /** The composite health whose last evaluation is the region's vote. */
    public CompositeHealth health() {
        return health;
    }

    /**
     * Stops the voter first (no vote from a half-closed process), then the view, the health checks and
     * the topology (leaving its group, so another region's coordinator takes the task at once), then
     * the management port.
     */
    @Override
    public void close() {
        closeAll(started);
        management.close();
    }

    private static void closeAll(Deque<AutoCloseable> started) {
        while (!started.isEmpty()) {
            AutoCloseable resource = started.pop();
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warn("could not close {}", resource, e);
            }
        }
    }
}
