package io.splitguard.launcher.deploy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micronaut.http.annotation.Get;
import io.splitguard.checkpoint.config.CheckpointConfig;
import io.splitguard.coordinator.config.CoordinatorConfig;
import io.splitguard.gateway.api.OpsController;
import io.splitguard.gateway.app.GatewayApplication;
import io.splitguard.health.ManagementServer;
import io.splitguard.sink.config.SinkConfig;
import io.splitguard.testsupport.TestHttp;
import io.splitguard.topology.config.DedupConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.URL;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.yaml.snakeyaml.Yaml;

/**
 * What the services really serve, asked of the services' own code rather than written down again:
 * the port each listens on by default and the paths its health endpoints answer on.
 */
final class ServiceFacts {

    static final String LIVE = "/health/live";
    static final String READY = "/health/ready";
    static final String METRICS = "/metrics";

    private static final Map<String, Boolean> MANAGEMENT_PATHS = new ConcurrentHashMap<>();

    private ServiceFacts() {}

    /** The port the service listens on when {@link ServiceKind#portSetting} is not set. */
    static int defaultPort(ServiceKind kind) {
        return switch (kind) {
            case GATEWAY -> gatewayDefaultPort();
            case TOPOLOGY -> (Integer)
                    DedupConfig.DEFINITION.configKeys().get(DedupConfig.MANAGEMENT_PORT).defaultValue;
            case CHECKPOINT -> (Integer)
                    CheckpointConfig.DEFINITION.configKeys().get(CheckpointConfig.MANAGEMENT_PORT).defaultValue;
            case SINK -> (Integer) SinkConfig.DEFINITION.configKeys().get(SinkConfig.ENV_MANAGEMENT_PORT).defaultValue;
            case COORDINATOR -> (Integer)
                    CoordinatorConfig.DEFINITION.configKeys().get(CoordinatorConfig.MANAGEMENT_PORT).defaultValue;
            case ADMIN -> throw new IllegalArgumentException("the admin CLI serves no port");
        };
    }

    /** The port a service with these environment settings listens on; -1 when the value is no number. */
    static int port(ServiceKind kind, Map<String, String> env) {
        String value = env.get(kind.portSetting);
        if (value == null) {
            return defaultPort(kind);
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Whether the service answers GET {@code path} on its port (rather than 404). */
    static boolean serves(ServiceKind kind, String path) {
        return switch (kind) {
            case GATEWAY -> gatewayPaths().contains(path);
            case TOPOLOGY, CHECKPOINT, SINK, COORDINATOR -> MANAGEMENT_PATHS.computeIfAbsent(
                    path, ServiceFacts::managementServerAnswers);
            case ADMIN -> false;
        };
    }

    /** The gateway's port as its application.yml (in the gateway's own jar) sets it. */
    private static int gatewayDefaultPort() {
        URL location =
                GatewayApplication.class.getProtectionDomain().getCodeSource().getLocation();
        String base = location.toString();
        String yaml = base.endsWith(".jar") ? "jar:" + base + "!/application.yml" : base + "application.yml";
        try (InputStream in = URI.create(yaml).toURL().openStream()) {
            Map<String, Object> config = new Yaml().load(in);
            @SuppressWarnings("unchecked")
            Map<String, Object> micronaut = (Map<String, Object>) config.get("micronaut");
            @SuppressWarnings("unchecked")
            Map<String, Object> server = (Map<String, Object>) micronaut.get("server");
            // a number, or a placeholder with a default: ${SOME_PORT:8080}
            java.util.regex.Matcher port =
                    java.util.regex.Pattern.compile("(\\d+)}?$").matcher(String.valueOf(server.get("port")));
            if (!port.find()) {
                throw new IllegalStateException("the gateway's " + yaml + " sets no default micronaut.server.port");
            }
            return Integer.parseInt(port.group(1));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the gateway's " + yaml, e);
        }
    }

    /** The URIs of the gateway's unauthenticated operations endpoints, from their annotations. */
    private static Set<String> gatewayPaths() {
        Set<String> paths = new HashSet<>();
        for (Method method : OpsController.class.getDeclaredMethods()) {
            Get get = method.getAnnotation(Get.class);
            if (get != null) {
                paths.add(get.uri().isEmpty() ? get.value() : get.uri());
            }
        }
        return paths;
    }

    /** Asks a real management server (the topologies', the sink's and the coordinator's) whether it serves {@code path}. */
    private static boolean managementServerAnswers(String path) {
        try (ManagementServer server =
                ManagementServer.start(0, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Map.of(), Map.of())) {
            return TestHttp.localhost(server.port()).get(path).statusCode() != 404;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
