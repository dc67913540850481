package io.splitguard.health;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The management port every SplitGuard service without an HTTP API of its own serves (the dedup
 * topology, the Postgres sink), with the same paths as the gateway:
 * <ul>
 *   <li>{@code GET /health}: the composite health document ({@link CompositeHealth}), 200 when
 *       healthy, 503 otherwise; it serves the last evaluation and calls no dependency;
 *   <li>{@code GET /health/live}: 200 while the process can still make progress (an orchestrator
 *       restarts it on 503), with the liveness checks;
 *   <li>{@code GET /health/ready}: 200 while it is doing its job (a load balancer or a rollout waits
 *       on 503), with the readiness checks; not ready while the composite health is unhealthy;
 *   <li>{@code GET /metrics}: Prometheus text exposition of the service's meters.
 * </ul>
 * Runs on one daemon thread of its own, never on a processing thread.
 */
public final class ManagementServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ManagementServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The JDK's HTTP server leaves Nagle's algorithm on for the connections it accepts unless this
     * property is true when its first server is created: it writes a response's headers and body
     * separately, so on a kept-alive connection the body waits for the client's delayed ACK, about
     * 40 ms per answer on Linux. That made every checkpoint read forwarded through this port cost
     * 40 ms and capped the gateway's lookups at a few hundred per second. An explicit setting wins.
     */
    static final String NODELAY = "sun.net.httpserver.nodelay";

    static {
        if (System.getProperty(NODELAY) == null) {
            System.setProperty(NODELAY, "true");
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final CompositeHealth composite;

    private ManagementServer(HttpServer server, ExecutorService executor, CompositeHealth composite) {
        this.server = server;
        this.executor = executor;
        this.composite = composite;
    }

    /**
     * Starts serving on {@code port} (0: any free port) of every interface.
     *
     * @param liveness checks that decide {@code /health/live}, by name
     * @param readiness checks that decide {@code /health/ready}, by name (liveness checks count too)
     */
    public static ManagementServer start(
            int port,
            PrometheusMeterRegistry registry,
            Map<String, HealthCheck> liveness,
            Map<String, HealthCheck> readiness)
            throws IOException {
        return start(port, registry, liveness, readiness, null);
    }

    /**
     * Starts serving on {@code port} (0: any free port) of every interface, with {@code GET /health}
     * serving {@code composite}'s last evaluation; readiness also requires it to be healthy.
     *
     * @param composite the composite health (null: no {@code /health}, readiness from its checks only);
     *     closed with the server
     */
    public static ManagementServer start(
            int port,
            PrometheusMeterRegistry registry,
            Map<String, HealthCheck> liveness,
            Map<String, HealthCheck> readiness,
            CompositeHealth composite)
            throws IOException {
        return start(port, registry, liveness, readiness, composite, Map.of());
    }

    /**
     * As {@link #start(int, PrometheusMeterRegistry, Map, Map, CompositeHealth)}, with extra {@code GET}
     * routes a service adds to its management port (e.g. the checkpoint topology's interactive queries).
     * Each handler answers every path under its prefix (e.g. {@code /internal/checkpoints/}); other
     * methods get 405 and a handler's unexpected exception a 500 problem. Handlers are called on the
     * management thread: one that may wait must hand the exchange to an executor of its own and answer
     * from there, so health and metrics stay served.
     *
     * @param routes by path prefix; the prefixes of the built-in paths are refused
     */
    public static ManagementServer start(
            int port,
            PrometheusMeterRegistry registry,
            Map<String, HealthCheck> liveness,
            Map<String, HealthCheck> readiness,
            CompositeHealth composite,
            Map<String, HttpHandler> routes)
            throws IOException {
        Objects.requireNonNull(registry, "registry");
        for (String prefix : routes.keySet()) {
            if (!prefix.startsWith("/")
                    || prefix.equals("/")
                    || prefix.startsWith("/health")
                    || prefix.startsWith("/metrics")) {
                throw new IllegalArgumentException("cannot add a route under " + prefix);
            }
        }
        Map<String, HealthCheck> live = new LinkedHashMap<>(liveness);
        Map<String, HealthCheck> ready = new LinkedHashMap<>(liveness);
        ready.putAll(readiness);
        if (composite != null) {
            ready.put("composite", () -> {
                HealthReport report = composite.report();
                return new Health(report.healthy(), Map.of("status", report.status()));
            });
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 16);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "splitguard-management");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/health/live", exchange -> health(exchange, live));
        server.createContext("/health/ready", exchange -> health(exchange, ready));
        if (composite != null) {
            server.createContext("/health", exchange -> {
                if (!"/health".equals(exchange.getRequestURI().getPath())) {
                    notFound(exchange);
                    return;
                }
                if (!get(exchange)) {
                    return;
                }
                HealthReport report = composite.report();
                exchange.getResponseHeaders().set("Cache-Control", "no-store");
                respond(exchange, report.httpStatus(), "application/json", report.json());
            });
        }
        server.createContext("/metrics", exchange -> {
            if (!get(exchange)) {
                return;
            }
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", body);
        });
        routes.forEach((prefix, handler) -> server.createContext(prefix, exchange -> {
            if (!get(exchange)) {
                return;
            }
            try {
                handler.handle(exchange);
            } catch (IOException | RuntimeException e) {
                LOG.warn("route {} failed: {}", prefix, e.toString());
                respond(
                        exchange,
                        500,
                        "application/problem+json",
                        "{\"type\":\"about:blank\",\"title\":\"Internal Server Error\",\"status\":500}"
                                .getBytes(StandardCharsets.UTF_8));
            }
        }));
        server.createContext("/", ManagementServer::notFound);
        server.start();
        LOG.info(
                "management endpoints on port {}: {}/health/live, /health/ready, /metrics",
                server.getAddress().getPort(),
                composite == null ? "" : "/health, ");
        return new ManagementServer(server, executor, composite);
    }

    /** The port actually bound. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Stops serving, and closes the composite health handed in. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        if (composite != null) {
            composite.close();
        }
    }

    private static void health(HttpExchange exchange, Map<String, HealthCheck> checks) throws IOException {
        if (!get(exchange)) {
            return;
        }
        ObjectNode body = JSON.createObjectNode();
        ObjectNode results = JSON.createObjectNode();
        boolean up = true;
        for (Map.Entry<String, HealthCheck> check : checks.entrySet()) {
            Health health;
            try {
                health = check.getValue().check();
            } catch (RuntimeException e) {
                health = Health.down(Map.of("error", String.valueOf(e.getMessage())));
            }
            up &= health.up();
            ObjectNode result = results.putObject(check.getKey());
            result.put("status", health.status());
            result.set("details", JSON.valueToTree(health.details()));
        }
        body.put("status", up ? "UP" : "DOWN");
        body.set("checks", results);
        respond(exchange, up ? 200 : 503, "application/json", JSON.writeValueAsBytes(body));
    }

    private static void notFound(HttpExchange exchange) throws IOException {
        respond(
                exchange,
                404,
                "application/problem+json",
                "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404}".getBytes(StandardCharsets.UTF_8));
    }

    private static boolean get(HttpExchange exchange) throws IOException {
        if ("GET".equals(exchange.getRequestMethod())) {
            return true;
        }
        exchange.getResponseHeaders().set("Allow", "GET");
        respond(
                exchange,
                405,
                "application/problem+json",
                ("{\"type\":\"about:blank\",\"title\":\"Method Not" + " Allowed\",\"status\":405}")
                        .getBytes(StandardCharsets.UTF_8));
        return false;
    }

    private static void respond(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
